import { Router } from "express";
import {
  authorParamsSchema,
  authorSubscriptionSchema,
  listNotificationsSchema,
  markReadSchema,
  notificationParamsSchema,
  postMuteParamsSchema,
  preferencesSchema,
  pushSubscriptionSchema,
  removeSubscriptionSchema,
} from "../../shared/notifications/notification.schema.js";
import { parseInput } from "../../shared/validation/parse.js";
import type { ApiDeps } from "../app.js";
import { actor, authenticate } from "../middleware/authenticate.js";
import { rateLimit } from "../middleware/rate-limit.js";

/**
 * /api/notifications: the caller's grouped notifications, unread count, read
 * marks, per-type and per-channel preferences, muted posts and device push
 * subscriptions. Every route acts on the caller's own notifications only.
 */
export function notificationsRoutes({ platform, services }: ApiDeps): Router {
  const router = Router();
  router.use(authenticate(services.accessGuard));
  const read = rateLimit(services.rateLimiter, "read");
  const write = rateLimit(services.rateLimiter, "write");
  const { notifications, pushSubscriptions, authorSubscriptions } = services.notifications;
  const subscriptionSchema = pushSubscriptionSchema(platform.config.NODE_ENV !== "production");

  router.get("/", read, async (req, res) => {
    const query = parseInput(listNotificationsSchema, req.query, "query");
    res.json(await notifications.list(actor(res).userId, { type: query.type, unreadOnly: query.unread, cursor: query.cursor, limit: query.limit }));
  });

  router.get("/unread-count", read, async (_req, res) => {
    res.json(await notifications.unreadCount(actor(res).userId));
  });

  router.post("/read", write, async (req, res) => {
    const input = parseInput(markReadSchema, req.body, "read marks");
    res.json(await notifications.markRead(actor(res).userId, input));
  });

  router.post("/:id/read", write, async (req, res) => {
    const { id } = parseInput(notificationParamsSchema, req.params, "path");
    res.json(await notifications.markRead(actor(res).userId, { ids: [id] }));
  });

  router.delete("/:id", write, async (req, res) => {
    const { id } = parseInput(notificationParamsSchema, req.params, "path");
    await notifications.delete(actor(res).userId, id);
    res.status(204).end();
  });

  router.get("/preferences", read, async (_req, res) => {
    res.json(await notifications.getPreferences(actor(res).userId));
  });

  router.put("/preferences", write, async (req, res) => {
    const { types } = parseInput(preferencesSchema, req.body, "preferences");
    const me = actor(res);
    const setInApp = (switches: Record<string, boolean>) => services.profiles.updateOwn(me, { notificationPreferences: switches });
    res.json(await notifications.setPreferences(me.userId, types, setInApp));
  });

  router.put("/mutes/posts/:postId", write, async (req, res) => {
    const { postId } = parseInput(postMuteParamsSchema, req.params, "path");
    res.json(await notifications.mutePost(actor(res).userId, postId, true));
  });

  router.delete("/mutes/posts/:postId", write, async (req, res) => {
    const { postId } = parseInput(postMuteParamsSchema, req.params, "path");
    res.json(await notifications.mutePost(actor(res).userId, postId, false));
  });

  router.get("/subscriptions/:userId", read, async (req, res) => {
    const { userId } = parseInput(authorParamsSchema, req.params, "path");
    res.json(await authorSubscriptions.get(actor(res), userId));
  });

  router.put("/subscriptions/:userId", write, async (req, res) => {
    const { userId } = parseInput(authorParamsSchema, req.params, "path");
    const changes = parseInput(authorSubscriptionSchema, req.body, "subscription");
    res.json(await authorSubscriptions.set(actor(res), userId, changes));
  });

  router.get("/push-subscriptions/info", read, async (_req, res) => {
    res.json(pushSubscriptions.info());
  });

  router.post("/push-subscriptions", write, async (req, res) => {
    const input = parseInput(subscriptionSchema, req.body, "push subscription");
    res.status(201).json(await pushSubscriptions.register(actor(res), input));
  });

  router.delete("/push-subscriptions", write, async (req, res) => {
    const { endpoint } = parseInput(removeSubscriptionSchema, req.body, "push subscription");
    await pushSubscriptions.remove(actor(res), endpoint);
    res.status(204).end();
  });

  return router;
}
