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
import type { Services } from "../../shared/runtime/services.js";
import { defineRoute, type RouteGroup } from "../http/route.js";

/**
 * /api/notifications: the caller's grouped notifications, unread count, read
 * marks, per-type and per-channel preferences, muted posts and device push
 * subscriptions. Every route acts on the caller's own notifications only.
 * `allowInsecurePush` admits http:// push endpoints (every environment but production).
 */
export function notificationsRoutes(services: Pick<Services, "notifications" | "profiles">, allowInsecurePush: boolean): RouteGroup {
  const { notifications, pushSubscriptions, authorSubscriptions } = services.notifications;
  const { profiles } = services;
  return {
    prefix: "/notifications",
    tag: "notifications",
    routes: [
      defineRoute({
        method: "get", path: "/", summary: "The caller's notifications, grouped, newest first", auth: "required", rate: "read", query: listNotificationsSchema,
        handler: ({ actor, query }) => notifications.list(actor.userId, { type: query.type, unreadOnly: query.unread, cursor: query.cursor, limit: query.limit }),
      }),
      defineRoute({
        method: "get", path: "/unread-count", summary: "The caller's unread count", auth: "required", rate: "read",
        handler: ({ actor }) => notifications.unreadCount(actor.userId),
      }),
      defineRoute({
        method: "post", path: "/read", summary: "Mark notifications read (by id, or all up to a time)", auth: "required", rate: "write", body: markReadSchema,
        handler: ({ actor, body }) => notifications.markRead(actor.userId, body),
      }),
      defineRoute({
        method: "post", path: "/:id/read", summary: "Mark one notification read", auth: "required", rate: "write", params: notificationParamsSchema,
        handler: ({ actor, params }) => notifications.markRead(actor.userId, { ids: [params.id] }),
      }),
      defineRoute({
        method: "delete", path: "/:id", summary: "Delete one notification", auth: "required", rate: "write", params: notificationParamsSchema,
        handler: async ({ actor, params }) => void (await notifications.delete(actor.userId, params.id)),
      }),
      defineRoute({
        method: "get", path: "/preferences", summary: "The caller's per-type, per-channel preferences", auth: "required", rate: "read",
        handler: ({ actor }) => notifications.getPreferences(actor.userId),
      }),
      defineRoute({
        method: "put", path: "/preferences", summary: "Change the caller's preferences", auth: "required", rate: "write", body: preferencesSchema,
        handler: ({ actor, body }) => {
          const setInApp = (switches: Record<string, boolean>) => profiles.updateOwn(actor, { notificationPreferences: switches });
          return notifications.setPreferences(actor.userId, body.types, setInApp);
        },
      }),
      defineRoute({
        method: "put", path: "/mutes/posts/:postId", summary: "Mute notifications about a post", auth: "required", rate: "write", params: postMuteParamsSchema,
        handler: ({ actor, params }) => notifications.mutePost(actor.userId, params.postId, true),
      }),
      defineRoute({
        method: "delete", path: "/mutes/posts/:postId", summary: "Unmute notifications about a post", auth: "required", rate: "write", params: postMuteParamsSchema,
        handler: ({ actor, params }) => notifications.mutePost(actor.userId, params.postId, false),
      }),
      defineRoute({
        method: "get", path: "/subscriptions/:userId", summary: "Whether the caller is told of a followed account's new posts and videos", auth: "required", rate: "read", params: authorParamsSchema,
        handler: ({ actor, params }) => authorSubscriptions.get(actor, params.userId),
      }),
      defineRoute({
        method: "put", path: "/subscriptions/:userId", summary: "Ask (or stop asking) to be told of a followed account's new posts and videos", auth: "required", rate: "write", params: authorParamsSchema, body: authorSubscriptionSchema,
        handler: ({ actor, params, body }) => authorSubscriptions.set(actor, params.userId, body),
      }),
      defineRoute({
        method: "get", path: "/push-subscriptions/info", summary: "What device push needs (the VAPID public key)", auth: "required", rate: "read",
        handler: () => pushSubscriptions.info(),
      }),
      defineRoute({
        method: "post", path: "/push-subscriptions", summary: "Register a device's push subscription", auth: "required", rate: "write", body: pushSubscriptionSchema(allowInsecurePush), status: 201,
        handler: ({ actor, body }) => pushSubscriptions.register(actor, body),
      }),
      defineRoute({
        method: "delete", path: "/push-subscriptions", summary: "Remove a device's push subscription", auth: "required", rate: "write", body: removeSubscriptionSchema,
        handler: async ({ actor, body }) => void (await pushSubscriptions.remove(actor, body.endpoint)),
      }),
    ],
  };
}
