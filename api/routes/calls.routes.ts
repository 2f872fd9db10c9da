import { Router } from "express";
import { callIdParamsSchema, historyQuerySchema } from "../../shared/calls/call.schema.js";
import { parseInput } from "../../shared/validation/parse.js";
import type { ApiDeps } from "../app.js";
import { actor, authenticate } from "../middleware/authenticate.js";
import { rateLimit } from "../middleware/rate-limit.js";

/**
 * /api/calls: the caller's call history (filters status, mediaType, peer,
 * missedOnly; cursor-paginated), STUN/TURN servers with time-limited TURN
 * credentials, and one call. A call the caller was not part of answers 404
 * CALL_NOT_FOUND, exactly like a missing one. Call control is on the gateway.
 */
export function callsRoutes({ services }: ApiDeps): Router {
  const router = Router();
  const { calls } = services;
  router.use(authenticate(services.accessGuard));
  const read = rateLimit(services.rateLimiter, "read");
  const me = (res: Parameters<typeof actor>[0]) => actor(res).userId;

  router.get("/", read, async (req, res) => {
    res.json(await calls.history.history(me(res), parseInput(historyQuerySchema, req.query, "query")));
  });

  router.get("/ice-servers", read, (_req, res) => {
    res.set("cache-control", "no-store").json(calls.iceServers.forUser(me(res)));
  });

  router.get("/:id", read, async (req, res) => {
    const { id } = parseInput(callIdParamsSchema, { id: req.params.id }, "path");
    res.json(await calls.history.get(me(res), id));
  });

  return router;
}
