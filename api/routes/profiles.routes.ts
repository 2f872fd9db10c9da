import { Router, type RequestHandler, type Response } from "express";
import { z } from "zod";
import type { AccessClaims } from "../../shared/auth/access-token.js";
import {
  pageQuerySchema,
  searchProfilesSchema,
  setAvatarSchema,
  updateProfileSchema,
  userIdSchema,
  usernameSchema,
  verificationSchema,
} from "../../shared/profiles/profile.schema.js";
import { parseInput } from "../../shared/validation/parse.js";
import type { ApiDeps } from "../app.js";
import { actor, authenticate } from "../middleware/authenticate.js";
import { rateLimit } from "../middleware/rate-limit.js";

const userParams = z.strictObject({ userId: userIdSchema });
const usernameParams = z.strictObject({ username: usernameSchema });

/** The acting user when a bearer token was sent; undefined for anonymous readers. */
const viewer = (res: Response): AccessClaims | undefined => res.locals.auth as AccessClaims | undefined;

/**
 * /api/profiles: the caller's profile, other users' profiles, search, the
 * follow graph (follow requests included) and blocks. Profiles by id or
 * username may be read anonymously; everything else needs an access token.
 */
export function profilesRoutes({ services }: ApiDeps): Router {
  const router = Router();
  const auth = authenticate(services.accessGuard);
  // A token, when sent, must be valid; without one the request is anonymous.
  const optionalAuth: RequestHandler = (req, res, next) => (req.headers.authorization ? auth(req, res, next) : next());
  const read = rateLimit(services.rateLimiter, "read");
  const write = rateLimit(services.rateLimiter, "write");
  const search = rateLimit(services.rateLimiter, "search");
  const { profiles, follows, blocks } = services;

  router.get("/me", auth, read, async (_req, res) => {
    res.json({ profile: await profiles.getOwn(actor(res)) });
  });

  router.patch("/me", auth, write, async (req, res) => {
    const body = parseInput(updateProfileSchema, req.body, "profile update");
    res.json({ profile: await profiles.updateOwn(actor(res), body) });
  });

  router.put("/me/avatar", auth, write, async (req, res) => {
    const { uploadId } = parseInput(setAvatarSchema, req.body, "avatar");
    res.json({ profile: await services.avatars.set(actor(res), uploadId) });
  });

  router.delete("/me/avatar", auth, write, async (_req, res) => {
    res.json({ profile: await services.avatars.remove(actor(res)) });
  });

  router.get("/me/follow-requests", auth, read, async (req, res) => {
    const page = parseInput(pageQuerySchema, req.query, "query");
    res.json(await follows.listRequests(actor(res), page));
  });

  router.post("/me/follow-requests/:userId/accept", auth, write, async (req, res) => {
    const { userId } = parseInput(userParams, req.params, "path");
    res.json(await follows.acceptRequest(actor(res), userId));
  });

  router.post("/me/follow-requests/:userId/decline", auth, write, async (req, res) => {
    const { userId } = parseInput(userParams, req.params, "path");
    await follows.declineRequest(actor(res), userId);
    res.status(204).end();
  });

  router.get("/me/blocked", auth, read, async (req, res) => {
    const page = parseInput(pageQuerySchema, req.query, "query");
    res.json(await blocks.listBlocked(actor(res), page));
  });

  router.get("/search", auth, search, async (req, res) => {
    const query = parseInput(searchProfilesSchema, req.query, "query");
    res.json({ items: await profiles.search(actor(res), query) });
  });

  router.get("/by-username/:username", optionalAuth, read, async (req, res) => {
    const { username } = parseInput(usernameParams, req.params, "path");
    res.json({ profile: await profiles.viewByUsername(viewer(res), username) });
  });

  router.get("/:userId", optionalAuth, read, async (req, res) => {
    const { userId } = parseInput(userParams, req.params, "path");
    res.json({ profile: await profiles.viewById(viewer(res), userId) });
  });

  router.get("/:userId/followers", auth, read, async (req, res) => {
    const { userId } = parseInput(userParams, req.params, "path");
    const page = parseInput(pageQuerySchema, req.query, "query");
    res.json(await follows.listFollowers(actor(res), userId, page));
  });

  router.get("/:userId/following", auth, read, async (req, res) => {
    const { userId } = parseInput(userParams, req.params, "path");
    const page = parseInput(pageQuerySchema, req.query, "query");
    res.json(await follows.listFollowing(actor(res), userId, page));
  });

  router.post("/:userId/follow", auth, write, async (req, res) => {
    const { userId } = parseInput(userParams, req.params, "path");
    res.json(await follows.follow(actor(res), userId));
  });

  router.delete("/:userId/follow", auth, write, async (req, res) => {
    const { userId } = parseInput(userParams, req.params, "path");
    await follows.unfollow(actor(res), userId);
    res.status(204).end();
  });

  router.post("/:userId/block", auth, write, async (req, res) => {
    const { userId } = parseInput(userParams, req.params, "path");
    await blocks.block(actor(res), userId);
    res.status(204).end();
  });

  router.delete("/:userId/block", auth, write, async (req, res) => {
    const { userId } = parseInput(userParams, req.params, "path");
    await blocks.unblock(actor(res), userId);
    res.status(204).end();
  });

  router.put("/:userId/verification", auth, write, async (req, res) => {
    const { userId } = parseInput(userParams, req.params, "path");
    const { verified } = parseInput(verificationSchema, req.body, "body");
    res.json({ profile: await profiles.setVerification(actor(res), userId, verified) });
  });

  return router;
}
