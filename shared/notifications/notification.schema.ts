import { z } from "zod";
import { NOTIFICATION_TYPES } from "./notification.types.js";

const NO_CONTROL = /^[^\p{Cc}\p{Cs}]*$/u;
const NO_CONTROL_MULTILINE = /^(?:[^\p{Cc}\p{Cs}]|[\n\t])*$/u;
const notificationId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a notification id");
const boolFlag = z.enum(["true", "false"]).transform((value) => value === "true");

/** `GET /api/notifications` */
export const listNotificationsSchema = z.strictObject({
  type: z.enum(NOTIFICATION_TYPES).optional(),
  unread: boolFlag.optional(),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, "must be a cursor from a previous page").optional(),
  limit: z.coerce.number().int().min(1).max(50).default(25),
});

export const notificationParamsSchema = z.strictObject({ id: notificationId });

/** `POST /api/notifications/read`: some by id, all, or all up to a time. */
export const markReadSchema = z
  .strictObject({
    ids: z.array(notificationId).min(1).max(100).optional(),
    all: z.literal(true).optional(),
    upTo: z.iso.datetime().transform((value) => new Date(value)).optional(),
  })
  .refine((input) => [input.ids, input.all, input.upTo].filter((v) => v !== undefined).length === 1, { message: "give exactly one of ids, all or upTo" });

const channelChange = z.strictObject({
  inApp: z.boolean().optional(),
  push: z.boolean().optional(),
  email: z.boolean().optional(),
  from: z.enum(["everyone", "following"]).optional(),
});

/** `PUT /api/notifications/preferences` */
export const preferencesSchema = z.strictObject({
  types: z.partialRecord(z.enum(NOTIFICATION_TYPES), channelChange).refine((types) => Object.keys(types).length > 0, { message: "change at least one type" }),
});

export const postMuteParamsSchema = z.strictObject({ postId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a post id") });

const base64url = z.string().regex(/^[A-Za-z0-9_-]+={0,2}$/, "must be base64url").max(200);

/** `POST /api/notifications/push-subscriptions`: the PushSubscription JSON of a browser. */
export function pushSubscriptionSchema(allowHttp: boolean) {
  return z.strictObject({
    endpoint: z
      .url({ protocol: allowHttp ? /^https?$/ : /^https$/ })
      .max(2048)
      .regex(NO_CONTROL),
    keys: z.strictObject({ p256dh: base64url.min(40), auth: base64url.min(16) }),
    expirationTime: z.number().nullable().optional(),
  });
}

export const removeSubscriptionSchema = z.strictObject({ endpoint: z.url().max(2048) });

export const authorParamsSchema = z.strictObject({ userId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a user id") });

/** `PUT /api/notifications/subscriptions/:userId`: "notify me of new posts / videos" of a followed account. */
export const authorSubscriptionSchema = z
  .strictObject({ posts: z.boolean().optional(), videos: z.boolean().optional() })
  .refine((input) => input.posts !== undefined || input.videos !== undefined, { message: "give posts or videos" });

/** `POST /api/admin/announcements` */
export const announcementSchema = z.strictObject({
  title: z.string().trim().min(1).max(120).regex(NO_CONTROL, "contains control characters"),
  body: z.string().trim().min(1).max(2000).regex(NO_CONTROL_MULTILINE, "contains control characters"),
  role: z.string().regex(/^[a-z0-9_]{1,50}$/, "a role name").optional(),
});
