import { Router } from "express";
import { adminListSchema, disableUserSchema, emptyBodySchema, grantRoleSchema, userIdParams, userRoleParams } from "../../shared/auth/auth.schema.js";
import { announcementSchema } from "../../shared/notifications/notification.schema.js";
import { parseInput } from "../../shared/validation/parse.js";
import type { ApiDeps } from "../app.js";
import { actor, authenticate } from "../middleware/authenticate.js";
import { rateLimit } from "../middleware/rate-limit.js";
import { requestMeta } from "./auth.routes.js";

/** /api/admin: account administration, for the `admin` role (the service checks it on every call). */
export function adminRoutes({ services }: ApiDeps): Router {
  const router = Router();
  router.use(authenticate(services.accessGuard));
  const read = rateLimit(services.rateLimiter, "read");
  const write = rateLimit(services.rateLimiter, "write");
  const { admin } = services;

  router.get("/users", read, async (req, res) => {
    const query = parseInput(adminListSchema, req.query, "query");
    res.json(await admin.listUsers(actor(res), query));
  });

  router.post("/users/:id/disable", write, async (req, res) => {
    const { id } = parseInput(userIdParams, req.params, "path");
    const { reason } = parseInput(disableUserSchema, req.body ?? {}, "body");
    res.json(await admin.disable(actor(res), id, reason, requestMeta(req)));
  });

  router.post("/users/:id/enable", write, async (req, res) => {
    const { id } = parseInput(userIdParams, req.params, "path");
    parseInput(emptyBodySchema, req.body ?? {}, "body");
    res.json(await admin.enable(actor(res), id, requestMeta(req)));
  });

  router.post("/users/:id/roles", write, async (req, res) => {
    const { id } = parseInput(userIdParams, req.params, "path");
    const { role } = parseInput(grantRoleSchema, req.body, "role grant");
    res.json(await admin.grantRole(actor(res), id, role, requestMeta(req)));
  });

  router.delete("/users/:id/roles/:role", write, async (req, res) => {
    const { id, role } = parseInput(userRoleParams, req.params, "path");
    res.json(await admin.revokeRole(actor(res), id, role, requestMeta(req)));
  });

  router.post("/announcements", write, async (req, res) => {
    const input = parseInput(announcementSchema, req.body, "announcement");
    res.status(202).json(await services.notifications.announcements.announce(actor(res), input));
  });

  return router;
}
