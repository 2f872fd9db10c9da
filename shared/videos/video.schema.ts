import { z } from "zod";
import { MAX_DESCRIPTION_LENGTH, MAX_TAG_LENGTH, MAX_TAGS, MAX_TITLE_LENGTH, VIDEO_PRIVACY, VIDEO_TYPES } from "./video.types.js";

/** Control characters other than newline and tab never belong in user text. */
const NO_CONTROL = /^[^\p{Cc}\p{Cs}]*$/u;
const NO_CONTROL_MULTILINE = /^(?:[^\p{Cc}\p{Cs}]|[\n\t])*$/u;

export const videoIdSchema = z.uuid({ message: "must be a video id" });
const uploadIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "must be an upload id");
const title = z.string().trim().min(1).max(MAX_TITLE_LENGTH).regex(NO_CONTROL, "contains control characters");
const description = z.string().max(MAX_DESCRIPTION_LENGTH).regex(NO_CONTROL_MULTILINE, "contains control characters");
const tag = z
  .string()
  .trim()
  .min(1)
  .max(MAX_TAG_LENGTH)
  .regex(/^[\p{L}\p{N}_-]+$/u, "letters, digits, _ and - only")
  .transform((value) => value.toLowerCase());
const tags = z.array(tag).max(MAX_TAGS).transform((values) => [...new Set(values)]);
const location = z.strictObject({
  name: z.string().trim().min(1).max(200).regex(NO_CONTROL, "contains control characters"),
  latitude: z.number().min(-90).max(90).optional(),
  longitude: z.number().min(-180).max(180).optional(),
});

export const createVideoSchema = z.strictObject({
  uploadId: uploadIdSchema,
  type: z.enum(VIDEO_TYPES),
  title,
  description: description.default(""),
  tags: tags.default([]),
  location: location.optional(),
  privacy: z.enum(VIDEO_PRIVACY).default("public"),
});
export type CreateVideoInput = z.infer<typeof createVideoSchema>;

export const updateVideoSchema = z
  .strictObject({ title: title.optional(), description: description.optional(), tags: tags.optional(), location: location.nullable().optional(), privacy: z.enum(VIDEO_PRIVACY).optional() })
  .refine((value) => Object.keys(value).length > 0, "nothing to update");
export type UpdateVideoInput = z.infer<typeof updateVideoSchema>;

const limit = z.coerce.number().int().min(1).max(50).default(20);
export const listMineSchema = z.strictObject({ before: z.iso.datetime().optional(), limit });
export const feedQuerySchema = z.strictObject({ offset: z.coerce.number().int().min(0).max(1000).default(0), limit });
export const searchQuerySchema = z.strictObject({ q: z.string().trim().min(1).max(100).regex(NO_CONTROL, "contains control characters"), limit });

/**
 * A playback heartbeat, sent every few seconds while a video plays: where the
 * player is and how many seconds were watched since the last heartbeat.
 */
export const viewHeartbeatSchema = z.strictObject({
  /** The player's session (one per page load); views count once per viewer per hour across sessions. */
  sessionId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  positionSeconds: z.number().min(0).max(24 * 3600),
  watchedSeconds: z.number().min(0).max(30),
});
export type ViewHeartbeatInput = z.infer<typeof viewHeartbeatSchema>;

export const commentSchema = z.strictObject({
  clientId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  text: z.string().trim().min(1).max(2000).regex(NO_CONTROL_MULTILINE, "contains control characters"),
});
