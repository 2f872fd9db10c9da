import { Router } from "express";
import { feedQuerySchema } from "../../shared/posts/post.schema.js";
import { parseInput } from "../../shared/validation/parse.js";
import type { ApiDeps } from "../app.js";
import { actor, authenticate } from "../middleware/authenticate.js";
import { rateLimit } from "../middleware/rate-limit.js";

/** /api/feed: the caller's home feed, newest first (cursor pagination). */
export function feedRoutes({ services }: ApiDeps): Router {
  const router = Router();
  router.get("/", authenticate(services.accessGuard), rateLimit(services.rateLimiter, "read"), async (req, res) => {
    const page = parseInput(feedQuerySchema, req.query, "query");
    res.json(await services.posts.feed.home(actor(res).userId, page));
  });
  return router;
}
