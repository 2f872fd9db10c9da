import { Router, type RequestHandler, type Response } from "express";
import { z } from "zod";
import type { AccessClaims } from "../../shared/auth/access-token.js";
import { hashtagSchema, listQuerySchema } from "../../shared/posts/post.schema.js";
import { parseInput } from "../../shared/validation/parse.js";
import type { ApiDeps } from "../app.js";
import { authenticate } from "../middleware/authenticate.js";
import { rateLimit } from "../middleware/rate-limit.js";

const tagParams = z.strictObject({ tag: hashtagSchema });
const trendingQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) });

/** /api/hashtags: trending hashtags and the posts of a hashtag (privacy-filtered for the caller). */
export function hashtagsRoutes({ services }: ApiDeps): Router {
  const router = Router();
  const auth = authenticate(services.accessGuard);
  const optionalAuth: RequestHandler = (req, res, next) => (req.headers.authorization ? auth(req, res, next) : next());
  const read = rateLimit(services.rateLimiter, "read");
  const viewer = (res: Response): AccessClaims | undefined => res.locals.auth as AccessClaims | undefined;

  router.get("/trending", optionalAuth, read, async (req, res) => {
    const { limit } = parseInput(trendingQuery, req.query, "query");
    res.json({ items: await services.posts.trends.trending(limit) });
  });

  router.get("/:tag/posts", optionalAuth, read, async (req, res) => {
    const { tag } = parseInput(tagParams, req.params, "path");
    res.json(await services.posts.queries.byHashtag(viewer(res), tag, parseInput(listQuerySchema, req.query, "query")));
  });

  return router;
}
