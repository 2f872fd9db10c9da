import { Router, type RequestHandler, type Response } from "express";
import { z } from "zod";
import type { AccessClaims } from "../../shared/auth/access-token.js";
import {
  createCommentSchema,
  createPostSchema,
  editCommentSchema,
  editPostSchema,
  listQuerySchema,
  nearQuerySchema,
  objectIdSchema,
  reactorsQuerySchema,
  reactSchema,
  searchQuerySchema,
  voteSchema,
} from "../../shared/posts/post.schema.js";
import { userIdSchema } from "../../shared/profiles/profile.schema.js";
import { parseInput } from "../../shared/validation/parse.js";
import type { ApiDeps } from "../app.js";
import { actor, authenticate } from "../middleware/authenticate.js";
import { rateLimit } from "../middleware/rate-limit.js";

const postParams = z.strictObject({ postId: objectIdSchema });
const commentParams = z.strictObject({ postId: objectIdSchema, commentId: objectIdSchema });
const userParams = z.strictObject({ userId: userIdSchema });
const noQuery = z.strictObject({});

const viewer = (res: Response): AccessClaims | undefined => res.locals.auth as AccessClaims | undefined;

/**
 * /api/posts: posts (create, read, edit, history, delete, polls, shares via
 * `sharedPostId`), comments and reactions, and the timelines besides the home
 * feed (an author's posts, near a place, search, trending). Reads may be
 * anonymous (public posts of public accounts only); writes need a token.
 */
export function postsRoutes({ services }: ApiDeps): Router {
  const router = Router();
  const auth = authenticate(services.accessGuard);
  const optionalAuth: RequestHandler = (req, res, next) => (req.headers.authorization ? auth(req, res, next) : next());
  const read = rateLimit(services.rateLimiter, "read");
  const write = rateLimit(services.rateLimiter, "write");
  const search = rateLimit(services.rateLimiter, "search");
  const { posts, comments, reactions, queries } = services.posts;

  router.post("/", auth, write, async (req, res) => {
    const body = parseInput(createPostSchema, req.body, "post");
    res.status(201).json({ post: await posts.create(actor(res), body) });
  });

  router.get("/search", optionalAuth, search, async (req, res) => {
    const { q, limit } = parseInput(searchQuerySchema, req.query, "query");
    res.json({ items: await queries.search(viewer(res), q, limit) });
  });

  router.get("/trending", optionalAuth, read, async (req, res) => {
    res.json(await queries.trending(viewer(res), parseInput(listQuerySchema, req.query, "query")));
  });

  router.get("/near", optionalAuth, search, async (req, res) => {
    res.json({ items: await queries.near(viewer(res), parseInput(nearQuerySchema, req.query, "query")) });
  });

  router.get("/users/:userId", optionalAuth, read, async (req, res) => {
    const { userId } = parseInput(userParams, req.params, "path");
    res.json(await queries.byUser(viewer(res), userId, parseInput(listQuerySchema, req.query, "query")));
  });

  router.get("/:postId", optionalAuth, read, async (req, res) => {
    const { postId } = parseInput(postParams, req.params, "path");
    parseInput(noQuery, req.query, "query");
    res.json({ post: await posts.get(viewer(res), postId) });
  });

  router.patch("/:postId", auth, write, async (req, res) => {
    const { postId } = parseInput(postParams, req.params, "path");
    res.json({ post: await posts.edit(actor(res), postId, parseInput(editPostSchema, req.body, "edit")) });
  });

  router.delete("/:postId", auth, write, async (req, res) => {
    const { postId } = parseInput(postParams, req.params, "path");
    await posts.delete(actor(res), postId);
    res.status(204).end();
  });

  router.get("/:postId/history", optionalAuth, read, async (req, res) => {
    const { postId } = parseInput(postParams, req.params, "path");
    res.json({ items: await posts.history(viewer(res), postId) });
  });

  router.post("/:postId/votes", auth, write, async (req, res) => {
    const { postId } = parseInput(postParams, req.params, "path");
    const { optionIds } = parseInput(voteSchema, req.body, "vote");
    res.json({ post: await posts.vote(actor(res), postId, optionIds) });
  });

  router.put("/:postId/reaction", auth, write, async (req, res) => {
    const { postId } = parseInput(postParams, req.params, "path");
    const { type } = parseInput(reactSchema, req.body, "reaction");
    res.json(await reactions.react(actor(res), postId, undefined, type));
  });

  router.delete("/:postId/reaction", auth, write, async (req, res) => {
    const { postId } = parseInput(postParams, req.params, "path");
    res.json(await reactions.unreact(actor(res), postId, undefined));
  });

  router.get("/:postId/reactions", optionalAuth, read, async (req, res) => {
    const { postId } = parseInput(postParams, req.params, "path");
    res.json(await reactions.reactors(viewer(res), postId, undefined, parseInput(reactorsQuerySchema, req.query, "query")));
  });

  router.post("/:postId/comments", auth, write, async (req, res) => {
    const { postId } = parseInput(postParams, req.params, "path");
    res.status(201).json({ comment: await comments.create(actor(res), postId, parseInput(createCommentSchema, req.body, "comment")) });
  });

  router.get("/:postId/comments", optionalAuth, read, async (req, res) => {
    const { postId } = parseInput(postParams, req.params, "path");
    res.json(await comments.thread(viewer(res), postId, parseInput(listQuerySchema, req.query, "query")));
  });

  router.get("/:postId/comments/top-level", optionalAuth, read, async (req, res) => {
    const { postId } = parseInput(postParams, req.params, "path");
    res.json(await comments.replies(viewer(res), postId, null, parseInput(listQuerySchema, req.query, "query")));
  });

  router.get("/:postId/comments/:commentId/replies", optionalAuth, read, async (req, res) => {
    const { postId, commentId } = parseInput(commentParams, req.params, "path");
    res.json(await comments.replies(viewer(res), postId, commentId, parseInput(listQuerySchema, req.query, "query")));
  });

  router.patch("/:postId/comments/:commentId", auth, write, async (req, res) => {
    const { postId, commentId } = parseInput(commentParams, req.params, "path");
    const { text } = parseInput(editCommentSchema, req.body, "comment");
    res.json({ comment: await comments.edit(actor(res), postId, commentId, text) });
  });

  router.delete("/:postId/comments/:commentId", auth, write, async (req, res) => {
    const { postId, commentId } = parseInput(commentParams, req.params, "path");
    await comments.delete(actor(res), postId, commentId);
    res.status(204).end();
  });

  router.put("/:postId/comments/:commentId/reaction", auth, write, async (req, res) => {
    const { postId, commentId } = parseInput(commentParams, req.params, "path");
    const { type } = parseInput(reactSchema, req.body, "reaction");
    res.json(await reactions.react(actor(res), postId, commentId, type));
  });

  router.delete("/:postId/comments/:commentId/reaction", auth, write, async (req, res) => {
    const { postId, commentId } = parseInput(commentParams, req.params, "path");
    res.json(await reactions.unreact(actor(res), postId, commentId));
  });

  router.get("/:postId/comments/:commentId/reactions", optionalAuth, read, async (req, res) => {
    const { postId, commentId } = parseInput(commentParams, req.params, "path");
    res.json(await reactions.reactors(viewer(res), postId, commentId, parseInput(reactorsQuerySchema, req.query, "query")));
  });

  return router;
}
