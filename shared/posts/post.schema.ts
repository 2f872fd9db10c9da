import { z } from "zod";
import { MAX_COMMENT_TEXT, MAX_IMAGES, MAX_POST_TEXT, POST_VISIBILITIES, REACTION_TYPES } from "./post.types.js";

/** No control characters but newline and tab; no lone surrogates. */
const MULTILINE = /^(?:[^\p{Cc}\p{Cs}]|[\n\t])*$/u;
const SINGLE_LINE = /^[^\p{Cc}\p{Cs}]*$/u;

export const objectIdSchema = z.string().regex(/^[0-9a-f]{24}$/, "must be an id");
export const clientIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "8-64 letters, digits, '-' or '_'");
const postText = z.string().max(MAX_POST_TEXT).regex(MULTILINE, "contains control characters");
const pollOption = z.string().trim().min(1).max(100).regex(SINGLE_LINE, "contains control characters");

/** Polls close between five minutes and thirty days from now. */
export const POLL_MIN_MS = 5 * 60_000;
export const POLL_MAX_MS = 30 * 24 * 3600_000;

export const pollInputSchema = z.strictObject({
  options: z
    .array(pollOption)
    .min(2)
    .max(4)
    .refine((options) => new Set(options.map((o) => o.toLowerCase())).size === options.length, "duplicate options"),
  multiple: z.boolean().default(false),
  closesAt: z.iso.datetime({ offset: true }).transform((s) => new Date(s)),
});
export type PollInput = z.infer<typeof pollInputSchema>;

export const locationInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(120).regex(SINGLE_LINE, "contains control characters"),
  longitude: z.number().min(-180).max(180),
  latitude: z.number().min(-90).max(90),
});
export type LocationInput = z.infer<typeof locationInputSchema>;

const mediaInput = z.strictObject({ uploadId: z.uuid({ message: "must be an upload id" }) });
const mediaList = z
  .array(mediaInput)
  .max(MAX_IMAGES)
  .refine((list) => new Set(list.map((m) => m.uploadId)).size === list.length, "the same upload is attached twice");

/** POST /api/posts. A post has text, media, a poll or a share (any mix, at least one). */
export const createPostSchema = z
  .strictObject({
    text: postText.default(""),
    media: mediaList.default([]),
    poll: pollInputSchema.optional(),
    location: locationInputSchema.optional(),
    visibility: z.enum(POST_VISIBILITIES).default("public"),
    sharedPostId: objectIdSchema.optional(),
    clientId: clientIdSchema.optional(),
  })
  .refine((p) => p.text.trim().length > 0 || p.media.length > 0 || p.poll !== undefined || p.sharedPostId !== undefined, {
    message: "a post needs text, media, a poll or a shared post",
    path: ["text"],
  })
  .refine((p) => p.sharedPostId === undefined || (p.poll === undefined && p.media.length === 0), {
    message: "a share carries an optional comment only",
    path: ["sharedPostId"],
  });
export type CreatePostInput = z.infer<typeof createPostSchema>;

/** PATCH /api/posts/:postId: text, media (the whole new list), poll (editing the options resets the votes) or location. */
export const editPostSchema = z
  .strictObject({ text: postText, media: mediaList, poll: pollInputSchema, location: locationInputSchema.nullable() })
  .partial()
  .refine((p) => Object.keys(p).length > 0, "nothing to update");
export type EditPostInput = z.infer<typeof editPostSchema>;

export const createCommentSchema = z.strictObject({
  text: z.string().trim().min(1).max(MAX_COMMENT_TEXT).regex(MULTILINE, "contains control characters"),
  parentId: objectIdSchema.optional(),
  clientId: clientIdSchema.optional(),
});
export type CreateCommentInput = z.infer<typeof createCommentSchema>;

export const editCommentSchema = z.strictObject({
  text: z.string().trim().min(1).max(MAX_COMMENT_TEXT).regex(MULTILINE, "contains control characters"),
});

export const reactSchema = z.strictObject({ type: z.enum(REACTION_TYPES) });
export const voteSchema = z.strictObject({ optionIds: z.array(z.string().regex(/^[a-z0-9]{1,8}$/)).min(1).max(4) });

/** Opaque cursors of every post list. */
export const CURSOR = /^[A-Za-z0-9_-]{1,96}$/;
export const listQuerySchema = z.strictObject({
  cursor: z.string().regex(CURSOR, "malformed cursor").optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});
export type ListQuery = z.infer<typeof listQuerySchema>;

export const reactorsQuerySchema = z.strictObject({
  cursor: z.string().regex(CURSOR, "malformed cursor").optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
  type: z.enum(REACTION_TYPES).optional(),
});

export const feedQuerySchema = z.strictObject({
  cursor: z.string().regex(CURSOR, "malformed cursor").optional(),
  limit: z.coerce.number().int().min(1).max(50).default(40),
});

export const searchQuerySchema = z.strictObject({
  q: z.string().trim().min(1).max(100).regex(SINGLE_LINE, "contains control characters"),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

export const nearQuerySchema = z.strictObject({
  longitude: z.coerce.number().min(-180).max(180),
  latitude: z.coerce.number().min(-90).max(90),
  maxDistanceMeters: z.coerce.number().int().min(1).max(100_000).default(5_000),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

export const hashtagSchema = z
  .string()
  .regex(/^#?[\p{L}\p{N}_]{1,64}$/u, "a hashtag is letters, digits and underscores");
