import { outboxIndex, outboxProperty } from "../events/outbox.schema.js";
import type { CollectionSpec } from "../db/mongo-collections.js";
import { MAX_GROUP_MEMBERS } from "./chat.schema.js";
import { MESSAGE_TYPES } from "./chat.types.js";

const seq = { bsonType: "number", minimum: 0 };
const date = { bsonType: "date" };
const id = { bsonType: "string", minLength: 1, maxLength: 64 };

/**
 * `conversations`: one document per chat. `memberIds` is the authoritative
 * membership (the send path checks it in the same command that assigns the
 * next `seq`); per-member state lives in `conversation_members`. A direct chat
 * has `directKey` (the sorted pair), unique, so a pair has exactly one.
 */
export const conversationsCollection: CollectionSpec = {
  name: "conversations",
  shardKey: null,
  shardReason:
    "Unsharded for now: directKey is unique across conversations. Each send increments lastSeq here, so this is the first MongoDB write limit (docs/scaling.md); sharding it by _id needs directKey moved into the _id of direct chats.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["_id", "type", "memberIds", "memberCount", "membersVersion", "lastSeq", "lastMessageAt", "createdBy", "createdAt", "updatedAt"],
      properties: {
        _id: id,
        type: { enum: ["direct", "group"] },
        directKey: { bsonType: "string", maxLength: 130 },
        directMembers: { bsonType: "array", minItems: 2, maxItems: 2, items: id },
        memberIds: { bsonType: "array", maxItems: MAX_GROUP_MEMBERS, items: id },
        memberCount: { bsonType: "number", minimum: 0, maximum: MAX_GROUP_MEMBERS },
        membersVersion: seq,
        title: { bsonType: "string", maxLength: 100 },
        description: { bsonType: "string", maxLength: 1000 },
        avatarUrl: { bsonType: "string", maxLength: 2048 },
        avatar: {
          bsonType: "object",
          required: ["mediaId", "url", "thumbnailUrl", "ref"],
          additionalProperties: false,
          properties: { mediaId: id, url: { bsonType: "string", maxLength: 2048 }, thumbnailUrl: { bsonType: "string", maxLength: 2048 }, ref: { bsonType: "string", maxLength: 200 } },
        },
        ownerId: id,
        createdBy: id,
        lastSeq: seq,
        lastMessage: {
          bsonType: ["object", "null"],
          required: ["id", "senderId", "type", "preview", "createdAt"],
          properties: { id, senderId: id, type: { enum: [...MESSAGE_TYPES] }, preview: { bsonType: "string", maxLength: 200 }, createdAt: date },
        },
        lastMessageAt: date,
        lastSeqAt: date,
        createdAt: date,
        updatedAt: date,
        outbox: outboxProperty,
      },
    },
  },
  indexes: [
    outboxIndex,
    { key: { directKey: 1 }, name: "directKey_unique", unique: true, partialFilterExpression: { directKey: { $exists: true } } },
    // The chat list: a user's conversations, most recent activity first (seed: participants + lastMessageAt).
    { key: { memberIds: 1, lastMessageAt: -1, _id: -1 }, name: "memberIds_lastMessageAt" },
  ],
};

/** `conversation_members`: one document per member (`_id` = `{conversationId}:{userId}`), the home of cursors and settings. */
export const conversationMembersCollection: CollectionSpec = {
  name: "conversation_members",
  shardKey: { conversationId: 1 },
  shardReason:
    "Cursors, receipts and member lists are per conversation (the send and sync paths); a user's own memberships are read through the per-user archivedChats mirror.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["_id", "conversationId", "userId", "role", "joinedAt", "lastReadSeq", "lastDeliveredSeq", "clearedSeq", "receiptAt", "pinned", "archived"],
      properties: {
        _id: { bsonType: "string", maxLength: 130 },
        conversationId: id,
        userId: id,
        role: { enum: ["owner", "admin", "member"] },
        joinedAt: date,
        lastReadSeq: seq,
        lastDeliveredSeq: seq,
        clearedSeq: seq,
        receiptAt: date,
        mutedUntil: { bsonType: ["date", "null"] },
        pinned: { bsonType: "bool" },
        archived: { bsonType: "bool" },
      },
    },
  },
  indexes: [
    // Member list, paged by user id; also "members of a conversation" for fan-out repair.
    { key: { conversationId: 1, userId: 1 }, name: "conversationId_userId" },
    // Sync: members whose delivered/read cursors moved since a time.
    { key: { conversationId: 1, receiptAt: 1 }, name: "conversationId_receiptAt" },
    // "Read by": members whose read cursor reached a message.
    { key: { conversationId: 1, lastReadSeq: 1 }, name: "conversationId_lastReadSeq" },
    // Ownership hand-over: the longest-serving admin, else member.
    { key: { conversationId: 1, role: 1, joinedAt: 1 }, name: "conversationId_role_joinedAt" },
  ],
  // The archived tab read here before it read the archivedChats mirror; nothing does now.
  retiredIndexes: ["userId_archived"],
};

/**
 * `archivedChats`: the per-user copy of `conversation_members.archived`, one
 * document per archived membership (`_id` = `{userId}:{conversationId}`),
 * upserted after the member is archived, deleted after it is unarchived or
 * leaves. It serves the archived tab from one shard; the member document stays
 * authoritative (the tab keeps only mirrors whose member is archived). The
 * weekly `chat.archive-mirror-repair` task writes missing copies and drops orphans.
 */
export const archivedChatsCollection: CollectionSpec = {
  name: "archivedChats",
  shardKey: { userId: 1 },
  shardReason: "The mirror exists to serve a user's archived tab from one shard: the user is the key; the unique (userId, conversationId) starts with it.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["_id", "userId", "conversationId", "archivedAt"],
      properties: { _id: { bsonType: "string", maxLength: 130 }, userId: id, conversationId: id, archivedAt: date },
    },
  },
  indexes: [{ key: { userId: 1, conversationId: 1 }, name: "userId_conversationId_unique", unique: true }],
};

/**
 * `messages`: `seq` is unique per conversation; `clientMessageId` per sender
 * and conversation. A `void: true` document is a filler sync wrote at a seq it
 * passed over (see sync.service.ts): it holds the seq so a late write fails.
 */
export const messagesCollection: CollectionSpec = {
  name: "messages",
  shardKey: { conversationId: 1 },
  shardReason:
    "Seed choice: every send, sync, history page and search is within one conversation; both unique indexes start with conversationId.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["_id", "conversationId", "seq", "senderId", "clientMessageId", "type", "content", "mentions", "reactions", "hiddenFor", "createdAt"],
      properties: {
        _id: id,
        conversationId: id,
        seq: { bsonType: "number", minimum: 1 },
        senderId: id,
        clientMessageId: { bsonType: "string", minLength: 1, maxLength: 128 },
        type: { enum: [...MESSAGE_TYPES] },
        content: { bsonType: ["object", "null"] },
        category: { enum: ["media", "file", "audio"] },
        searchText: { bsonType: "string", maxLength: 8192 },
        replyTo: { bsonType: "object", required: ["id", "seq", "senderId", "type", "preview"] },
        forwarded: { bsonType: "bool" },
        mentions: { bsonType: "array", maxItems: 50, items: id },
        reactions: { bsonType: "object" },
        hiddenFor: { bsonType: "array", items: id },
        editedAt: date,
        deletedAt: date,
        createdAt: date,
        void: { enum: [true] },
        outbox: outboxProperty,
      },
    },
  },
  indexes: [
    outboxIndex,
    // History and sync by seq cursors; unread counts since a read cursor.
    { key: { conversationId: 1, seq: 1 }, name: "conversationId_seq_unique", unique: true },
    // Idempotent sends: a retry with the same clientMessageId collides here.
    { key: { conversationId: 1, senderId: 1, clientMessageId: 1 }, name: "conversationId_sender_clientMessageId_unique", unique: true },
    // Media gallery: one conversation's images/videos, files or audio, newest first.
    {
      key: { conversationId: 1, category: 1, seq: -1 },
      name: "conversationId_category_seq",
      partialFilterExpression: { category: { $exists: true } },
    },
    // Message search (deleted messages lose their searchText).
    { key: { searchText: "text" }, name: "message_text", default_language: "none" },
  ],
};

/**
 * `message_changes`: the append-only record of edits, deletions and reactions.
 * Each takes the next `seq` of its conversation, so sync replays messages and
 * changes in one order. `void` entries fill a seq a failed write consumed.
 */
export const messageChangesCollection: CollectionSpec = {
  name: "message_changes",
  shardKey: { conversationId: 1 },
  shardReason:
    "Read and written with the conversation's seq stream, like messages.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["_id", "conversationId", "seq", "kind", "actorId", "at"],
      properties: {
        _id: id,
        conversationId: id,
        seq: { bsonType: "number", minimum: 1 },
        kind: { enum: ["edited", "deleted", "reaction", "void"] },
        messageId: id,
        actorId: id,
        onlyFor: id,
        data: { bsonType: "object" },
        at: date,
      },
    },
  },
  indexes: [{ key: { conversationId: 1, seq: 1 }, name: "conversationId_seq_unique", unique: true }],
};

export const chatCollections: readonly CollectionSpec[] = [
  conversationsCollection,
  conversationMembersCollection,
  archivedChatsCollection,
  messagesCollection,
  messageChangesCollection,
];
