import { Router } from "express";
import { updateMeSchema } from "../../shared/auth/auth.schema.js";
import { parseInput } from "../../shared/validation/parse.js";
import type { ApiDeps } from "../app.js";
import { actor, authenticate } from "../middleware/authenticate.js";
import { rateLimit } from "../middleware/rate-limit.js";
import { requestMeta } from "./auth.routes.js";

/** /api/me: the signed-in user's account (identity data; the social profile is /api/profiles/me). */
export function meRoutes({ services }: ApiDeps): Router {
  const router = Router();
  router.use(authenticate(services.accessGuard));

  router.get("/", rateLimit(services.rateLimiter, "read"), async (_req, res) => {
    res.json({ user: await services.users.get(actor(res)) });
  });

  router.patch("/", rateLimit(services.rateLimiter, "write"), async (req, res) => {
    const changes = parseInput(updateMeSchema, req.body, "account update");
    res.json({ user: await services.users.update(actor(res), changes, requestMeta(req)) });
  });

  return router;
}
