import { z } from "zod";
import { CURSOR_PATTERN, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../social/page-cursor.js";
import {
  AUDIENCES,
  MAX_BIO_LENGTH,
  MAX_DISPLAY_NAME_LENGTH,
  MAX_SOCIAL_LINKS,
  MAX_URL_LENGTH,
  NOTIFICATION_TYPES,
  USERNAME_PATTERN,
} from "./profile.types.js";
import { multiLineText, singleLineText } from "../validation/text.js";

export const userIdSchema = z.uuid({ message: "must be a user id" });
export const usernameSchema = z.string().regex(USERNAME_PATTERN, "3-30 letters, digits or underscores");

const displayName = singleLineText({ min: 1, max: MAX_DISPLAY_NAME_LENGTH });
const webUrl = z.url({ protocol: /^https?$/, hostname: z.regexes.domain }).max(MAX_URL_LENGTH);

export const socialLinkSchema = z.strictObject({
  platform: z.string().trim().min(1).max(32).regex(/^[A-Za-z0-9 ._-]+$/, "letters, digits, spaces, dots, dashes"),
  url: webUrl,
});

const notificationPreferences = z
  .strictObject(Object.fromEntries(NOTIFICATION_TYPES.map((type) => [type, z.boolean()])) as Record<(typeof NOTIFICATION_TYPES)[number], z.ZodBoolean>)
  .partial();

/** PATCH /api/profiles/me: any subset of the editable fields, nothing else (the avatar is an upload: PUT /me/avatar). */
export const updateProfileSchema = z
  .strictObject({
    username: usernameSchema,
    displayName,
    bio: multiLineText({ max: MAX_BIO_LENGTH, trim: false }),
    privacy: z
      .strictObject({ isPrivate: z.boolean(), whoCanMessage: z.enum(AUDIENCES), lastSeenVisibility: z.enum(AUDIENCES) })
      .partial(),
    notificationPreferences,
    socialLinks: z
      .array(socialLinkSchema)
      .max(MAX_SOCIAL_LINKS)
      .refine((links) => new Set(links.map((l) => l.url)).size === links.length, "duplicate links"),
  })
  .partial()
  .refine((body) => Object.keys(body).length > 0, "nothing to update");
export type UpdateProfileInput = z.infer<typeof updateProfileSchema>;

/** PUT /api/profiles/me/avatar: a ready upload of the user, purpose `avatar`. */
export const setAvatarSchema = z.strictObject({ uploadId: z.uuid({ message: "must be an upload id" }) });

/** GET /api/profiles/search: `text` ranks by relevance; `prefix` matches the start of usernames. */
export const searchProfilesSchema = z
  .strictObject({
    q: singleLineText({ min: 1, max: 100 }),
    mode: z.enum(["text", "prefix"]).default("text"),
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
  })
  .refine((input) => input.mode !== "prefix" || /^@?[A-Za-z0-9_]{1,30}$/.test(input.q), {
    message: "a username prefix is letters, digits or underscores",
    path: ["q"],
  });
export type SearchProfilesInput = z.infer<typeof searchProfilesSchema>;

/** Cursor pagination of every list. */
export const pageQuerySchema = z.strictObject({
  cursor: z.string().regex(CURSOR_PATTERN, "malformed cursor").optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
});

/** PUT /api/profiles/:userId/verification (admins). */
export const verificationSchema = z.strictObject({ verified: z.boolean() });

/** What registration passes to `ensureProfile`. */
export const ensureProfileSchema = z.strictObject({
  userId: z.string().min(1).max(64),
  displayName: z.string().max(1000),
  username: z.string().max(1000).optional(),
});
export type EnsureProfileInput = z.infer<typeof ensureProfileSchema>;
