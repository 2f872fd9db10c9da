import { z } from "zod";
import { REACTION_EMOJIS } from "./chat.types.js";
import { clientContentSchema, MAX_TEXT_LENGTH } from "./message-content.schema.js";
import { multiLineText, singleLineText } from "../validation/text.js";

/**
 * Input schemas of every chat operation. REST routes and gateway events parse
 * with the same schema, so both paths accept exactly the same payloads.
 */
export const MAX_GROUP_MEMBERS = 10_000;
/** Members one request may add (larger groups are built in several calls). */
export const MAX_MEMBERS_PER_CALL = 256;
export const DEFAULT_HISTORY_PAGE = 30;
export const MIN_HISTORY_PAGE = 1;
export const MAX_HISTORY_PAGE = 50;

export const idSchema = z.uuid({ message: "must be an id" });
const seqSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Sequence numbers in query strings arrive as text. */
const seqParam = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const pageLimit = z.coerce.number().int().min(MIN_HISTORY_PAGE).max(MAX_HISTORY_PAGE).default(DEFAULT_HISTORY_PAGE);
const groupTitle = singleLineText({ min: 1, max: 100 });
const groupDescription = multiLineText({ max: 1000 });
/** A group avatar is an upload (purpose `avatar`) of the acting admin. */
const avatarUploadId = z.uuid({ message: "must be an upload id" });
/** Opaque list cursors are base64url. */
const cursorSchema = z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, "must be a cursor");

export const createConversationSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("direct"), userId: idSchema }),
  z.strictObject({
    type: z.literal("group"),
    title: groupTitle,
    description: groupDescription.optional(),
    avatarUploadId: avatarUploadId.optional(),
    memberIds: z.array(idSchema).max(MAX_MEMBERS_PER_CALL).default([]),
  }),
]);
export type CreateConversationInput = z.infer<typeof createConversationSchema>;

export const listConversationsSchema = z.strictObject({
  cursor: cursorSchema.optional(),
  limit: pageLimit,
  archived: z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]).default(false),
});
export type ListConversationsInput = z.infer<typeof listConversationsSchema>;

export const conversationRefSchema = z.strictObject({ conversationId: idSchema });

/*
 * REST routes carry the conversation, message and member ids in the path and
 * the rest in the body or query: the `*Body`/`*Query` parts below. Each socket
 * event's schema is the same part extended with the ids, so both paths accept
 * exactly the same fields and refuse the same mistakes.
 */

/** Path parameters of the conversation routes (`:id` is the conversation). */
export const conversationParams = z.strictObject({ id: idSchema });
export const messageParams = z.strictObject({ id: idSchema, messageId: idSchema });
export const memberParams = z.strictObject({ id: idSchema, userId: idSchema });
/** A body or query string that must carry nothing. */
export const emptyPartSchema = z.strictObject({});

const conversationId = { conversationId: idSchema };
const messageRef = { conversationId: idSchema, messageId: idSchema };
/** A socket event's schema: the ids first (as its payloads list them), then the REST part's fields. */
const withIds = <I extends z.ZodRawShape, F extends z.ZodRawShape>(ids: I, part: z.ZodObject<F>) => z.strictObject({ ...ids, ...part.shape });

const updateGroupFields = z.strictObject({
  title: groupTitle.optional(),
  description: groupDescription.optional(),
  avatarUploadId: avatarUploadId.nullable().optional(),
});
const somethingToUpdate = (v: z.infer<typeof updateGroupFields>) => v.title !== undefined || v.description !== undefined || v.avatarUploadId !== undefined;
export const updateGroupBody = updateGroupFields.refine(somethingToUpdate, "nothing to update");
export const updateGroupSchema = withIds(conversationId, updateGroupFields).refine(somethingToUpdate, "nothing to update");
export type UpdateGroupInput = z.infer<typeof updateGroupSchema>;

export const listMembersQuery = z.strictObject({
  cursor: idSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});
export const listMembersSchema = withIds(conversationId, listMembersQuery);

export const addMembersBody = z.strictObject({ userIds: z.array(idSchema).min(1).max(MAX_MEMBERS_PER_CALL) });
export const addMembersSchema = withIds(conversationId, addMembersBody);

export const memberRefSchema = z.strictObject({ conversationId: idSchema, userId: idSchema });

export const setRoleBody = z.strictObject({ role: z.enum(["admin", "member"]) });
export const setRoleSchema = withIds({ conversationId: idSchema, userId: idSchema }, setRoleBody);

const settingsFields = z.strictObject({
  mutedUntil: z.iso.datetime().nullable().optional(),
  pinned: z.boolean().optional(),
  archived: z.boolean().optional(),
});
const someSetting = (v: z.infer<typeof settingsFields>) => v.mutedUntil !== undefined || v.pinned !== undefined || v.archived !== undefined;
export const settingsBody = settingsFields.refine(someSetting, "nothing to update");
export const settingsSchema = withIds(conversationId, settingsFields).refine(someSetting, "nothing to update");
export type SettingsInput = z.infer<typeof settingsSchema>;

/** A client's own id for a message, so a retried send returns the original. */
export const clientMessageIdSchema = z.string().regex(/^[A-Za-z0-9_:-]{8,64}$/, "must be 8-64 letters, digits, _ : or -");

const sendMessageFields = z.strictObject({
  clientMessageId: clientMessageIdSchema,
  content: clientContentSchema.optional(),
  /** Quote this message of the same conversation. */
  replyToId: idSchema.optional(),
  /** Forward this message (from any conversation the sender is in) instead of sending `content`. */
  forwardFromId: idSchema.optional(),
  /** The conversation of `forwardFromId` (required with it: messages are sharded by conversation). */
  forwardFromConversationId: idSchema.optional(),
  mentions: z.array(idSchema).max(50).optional(),
});
const contentOrForward = (v: z.infer<typeof sendMessageFields>) => (v.content === undefined) !== (v.forwardFromId === undefined);
const forwardWithSource = (v: z.infer<typeof sendMessageFields>) => (v.forwardFromId === undefined) === (v.forwardFromConversationId === undefined);
const FORWARD_SOURCE = "forwardFromId and forwardFromConversationId go together";
export const sendMessageBody = sendMessageFields.refine(contentOrForward, "give either content or forwardFromId").refine(forwardWithSource, FORWARD_SOURCE);
export const sendMessageSchema = withIds(conversationId, sendMessageFields)
  .refine(contentOrForward, "give either content or forwardFromId")
  .refine(forwardWithSource, FORWARD_SOURCE);
export type SendMessageInput = z.infer<typeof sendMessageSchema>;

export const messageRefSchema = z.strictObject(messageRef);
export type MessageRefInput = z.infer<typeof messageRefSchema>;

export const readersQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(100) });
export const readersSchema = withIds(messageRef, readersQuery);
export type ReadersInput = z.infer<typeof readersSchema>;

export const editMessageBody = z.strictObject({ text: multiLineText({ min: 1, max: MAX_TEXT_LENGTH }) });
export const editMessageSchema = withIds(messageRef, editMessageBody);
export type EditMessageInput = z.infer<typeof editMessageSchema>;

export const deleteMessageQuery = z.strictObject({ scope: z.enum(["me", "everyone"]).default("me") });
export const deleteMessageSchema = withIds(messageRef, deleteMessageQuery);
export type DeleteMessageInput = z.infer<typeof deleteMessageSchema>;

export const reactBody = z.strictObject({
  /** Null removes the caller's reaction. */
  emoji: z.enum(REACTION_EMOJIS).nullable(),
});
export const reactSchema = withIds(messageRef, reactBody);
export type ReactInput = z.infer<typeof reactSchema>;

const historyFields = z.strictObject({ before: seqParam.optional(), after: seqParam.optional(), limit: pageLimit });
const notBeforeAndAfter = (v: z.infer<typeof historyFields>) => v.before === undefined || v.after === undefined;
export const historyQuery = historyFields.refine(notBeforeAndAfter, "give before or after, not both");
export const historySchema = withIds(conversationId, historyFields).refine(notBeforeAndAfter, "give before or after, not both");
export type HistoryInput = z.infer<typeof historySchema>;

export const cursorMoveBody = z.strictObject({ seq: seqSchema });
export const cursorMoveSchema = withIds(conversationId, cursorMoveBody);
export type CursorMoveInput = z.infer<typeof cursorMoveSchema>;

export const galleryQuery = z.strictObject({
  kind: z.enum(["media", "file", "audio"]).default("media"),
  before: seqParam.optional(),
  limit: pageLimit,
});
export const gallerySchema = withIds(conversationId, galleryQuery);
export type GalleryInput = z.infer<typeof gallerySchema>;

export const searchSchema = z.strictObject({
  q: singleLineText({ min: 2, max: 200 }),
  conversationId: idSchema.optional(),
  cursor: cursorSchema.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_HISTORY_PAGE).default(20),
});
export type SearchInput = z.infer<typeof searchSchema>;

export const MAX_SYNC_CONVERSATIONS = 100;
export const MAX_SYNC_LIMIT = 500;

export const syncSchema = z.strictObject({
  conversations: z
    .array(z.strictObject({ conversationId: idSchema, seq: seqSchema }))
    .min(1)
    .max(MAX_SYNC_CONVERSATIONS)
    .refine((list) => new Set(list.map((c) => c.conversationId)).size === list.length, "each conversation at most once"),
  /** The `receiptsCursor` of the previous sync; omitted on a device's first sync. */
  receiptsSince: z.iso.datetime().optional(),
  /** Entries per conversation. */
  limit: z.number().int().min(1).max(MAX_SYNC_LIMIT).default(200),
});
export type SyncInput = z.infer<typeof syncSchema>;

/** What clients send (before defaults are applied): the payload types of the socket events. */
export type SendMessagePayload = z.input<typeof sendMessageSchema>;
export type EditMessagePayload = z.input<typeof editMessageSchema>;
export type DeleteMessagePayload = z.input<typeof deleteMessageSchema>;
export type ReactPayload = z.input<typeof reactSchema>;
export type CursorMovePayload = z.input<typeof cursorMoveSchema>;
export type SyncPayload = z.input<typeof syncSchema>;
export type HistoryPayload = z.input<typeof historySchema>;
export type ListConversationsPayload = z.input<typeof listConversationsSchema>;
