import { Router, type RequestHandler, type Response } from "express";
import { z } from "zod";
import type { AccessClaims } from "../../shared/auth/access-token.js";
import { userIdSchema } from "../../shared/profiles/profile.schema.js";
import { parseInput } from "../../shared/validation/parse.js";
import {
  commentSchema,
  createVideoSchema,
  feedQuerySchema,
  listMineSchema,
  searchQuerySchema,
  updateVideoSchema,
  videoIdSchema,
  viewHeartbeatSchema,
} from "../../shared/videos/video.schema.js";
import type { ApiDeps } from "../app.js";
import { actor, authenticate } from "../middleware/authenticate.js";
import { rateLimit } from "../middleware/rate-limit.js";

const videoParams = z.strictObject({ id: videoIdSchema });
const commentParams = z.strictObject({ id: videoIdSchema, commentId: z.string().min(1).max(130) });
const userParams = z.strictObject({ userId: userIdSchema });
const grantParams = z.strictObject({ id: videoIdSchema, grant: z.string().min(8).max(200), file: z.array(z.string().max(64)).min(1).max(2) });
const commentsQuery = z.strictObject({ after: z.iso.datetime().optional(), limit: z.coerce.number().int().min(1).max(50).default(20) });

const viewer = (res: Response): AccessClaims | undefined => res.locals.auth as AccessClaims | undefined;

/** One `Range: bytes=a-b` (players seek inside segments rarely, but some ask). */
function parseRange(header: string | undefined): { start: number; end?: number } | undefined {
  const match = header ? /^bytes=(\d+)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return undefined;
  return { start: Number(match[1]), ...(match[2] ? { end: Number(match[2]) } : {}) };
}

/**
 * /api/videos: long-form videos and shorts. Reads of public videos may be
 * anonymous; writes need an access token. Playback files are served under
 * `/:id/hls/:grant/...` (the grant is in the path, so relative playlist URIs keep it).
 */
export function videosRoutes({ services }: ApiDeps): Router {
  const router = Router();
  const auth = authenticate(services.accessGuard);
  const optionalAuth: RequestHandler = (req, res, next) => (req.headers.authorization ? auth(req, res, next) : next());
  const read = rateLimit(services.rateLimiter, "read");
  const write = rateLimit(services.rateLimiter, "write");
  const search = rateLimit(services.rateLimiter, "search");
  const { videos, engagement } = services.videos;

  router.post("/", auth, write, async (req, res) => {
    const body = parseInput(createVideoSchema, req.body, "video");
    res.status(201).json({ video: await videos.create(actor(res).userId, body) });
  });

  router.get("/mine", auth, read, async (req, res) => {
    const { before, limit } = parseInput(listMineSchema, req.query, "query");
    res.json(await videos.listMine(actor(res).userId, before ? new Date(before) : undefined, limit));
  });

  router.get("/shorts", optionalAuth, read, async (req, res) => {
    const { offset, limit } = parseInput(feedQuerySchema, req.query, "query");
    res.json({ items: await videos.shortsFeed(viewer(res)?.userId, offset, limit) });
  });

  router.get("/trending", optionalAuth, read, async (req, res) => {
    const { offset, limit } = parseInput(feedQuerySchema, req.query, "query");
    res.json({ items: await videos.trending(viewer(res)?.userId, offset, limit) });
  });

  router.get("/search", optionalAuth, search, async (req, res) => {
    const { q, limit } = parseInput(searchQuerySchema, req.query, "query");
    res.json({ items: await videos.search(viewer(res)?.userId, q, limit) });
  });

  router.get("/users/:userId", optionalAuth, read, async (req, res) => {
    const { userId } = parseInput(userParams, req.params, "path");
    const { before, limit } = parseInput(listMineSchema, req.query, "query");
    res.json(await videos.listByUser(viewer(res)?.userId, userId, before ? new Date(before) : undefined, limit));
  });

  router.get("/:id/hls/:grant/*file", read, async (req, res) => {
    const { id, grant, file } = parseInput(grantParams, req.params, "path");
    const range = parseRange(req.headers.range);
    const object = await videos.playbackFile(id, grant, file.join("/"), range);
    res.status(object.contentRange ? 206 : 200);
    res.setHeader("content-type", object.contentType);
    res.setHeader("cache-control", object.cacheControl);
    res.setHeader("accept-ranges", "bytes");
    if (object.contentRange) res.setHeader("content-range", object.contentRange);
    res.setHeader("etag", `"${object.etag}"`);
    object.body.on("error", () => res.destroy());
    object.body.pipe(res);
  });

  router.get("/:id", optionalAuth, read, async (req, res) => {
    const { id } = parseInput(videoParams, req.params, "path");
    res.json({ video: await videos.get(viewer(res)?.userId, id) });
  });

  router.patch("/:id", auth, write, async (req, res) => {
    const { id } = parseInput(videoParams, req.params, "path");
    const body = parseInput(updateVideoSchema, req.body, "video update");
    res.json({ video: await videos.update(actor(res).userId, id, body) });
  });

  router.delete("/:id", auth, write, async (req, res) => {
    const { id } = parseInput(videoParams, req.params, "path");
    await videos.remove(actor(res).userId, id);
    res.status(204).end();
  });

  router.post("/:id/views", optionalAuth, read, async (req, res) => {
    const { id } = parseInput(videoParams, req.params, "path");
    const body = parseInput(viewHeartbeatSchema, req.body, "heartbeat");
    res.json(await engagement.heartbeat(viewer(res)?.userId, id, body));
  });

  router.post("/:id/likes", auth, write, async (req, res) => {
    const { id } = parseInput(videoParams, req.params, "path");
    res.json(await engagement.like(actor(res).userId, id));
  });

  router.delete("/:id/likes", auth, write, async (req, res) => {
    const { id } = parseInput(videoParams, req.params, "path");
    res.json(await engagement.unlike(actor(res).userId, id));
  });

  router.post("/:id/shares", auth, write, async (req, res) => {
    const { id } = parseInput(videoParams, req.params, "path");
    res.json(await engagement.share(actor(res).userId, id));
  });

  router.get("/:id/comments", optionalAuth, read, async (req, res) => {
    const { id } = parseInput(videoParams, req.params, "path");
    const { after, limit } = parseInput(commentsQuery, req.query, "query");
    res.json({ items: await engagement.comments(viewer(res)?.userId, id, after ? new Date(after) : undefined, limit) });
  });

  router.post("/:id/comments", auth, write, async (req, res) => {
    const { id } = parseInput(videoParams, req.params, "path");
    const body = parseInput(commentSchema, req.body, "comment");
    res.status(201).json({ comment: await engagement.comment(actor(res).userId, id, body) });
  });

  router.delete("/:id/comments/:commentId", auth, write, async (req, res) => {
    const { id, commentId } = parseInput(commentParams, req.params, "path");
    await engagement.deleteComment(actor(res).userId, id, commentId);
    res.status(204).end();
  });

  router.get("/:id/stats", auth, read, async (req, res) => {
    const { id } = parseInput(videoParams, req.params, "path");
    res.json({ stats: await engagement.stats(actor(res).userId, id) });
  });

  return router;
}

