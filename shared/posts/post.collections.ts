import type { IndexDescription } from "mongodb";
import type { CollectionSpec } from "../db/mongo-collections.js";
import { outboxIndex, outboxProperty } from "../events/outbox.schema.js";
import { MAX_COMMENT_DEPTH, MAX_COMMENT_TEXT, MAX_POST_TEXT, POST_VISIBILITIES, REACTION_TYPES } from "./post.types.js";

const date = { bsonType: "date" };
const nullableDate = { bsonType: ["date", "null"] };
const userId = { bsonType: "string", minLength: 1, maxLength: 64 };
// Counters may dip below zero for an instant when a decrement lands before its increment.
const counter = { bsonType: "number" };
const reactionCounts = {
  bsonType: "object",
  required: [...REACTION_TYPES],
  properties: Object.fromEntries(REACTION_TYPES.map((t) => [t, counter])),
  additionalProperties: false,
};

/**
 * Shard keys, declared beside the indexes: posts and their edits by author
 * (`userId`, the seed's choice; the timeline and feed queries lead with it),
 * comments by `postId` (every thread query names it), reactions by `targetId`,
 * poll votes by `postId`, hashtags by `_id` (the tag).
 */
export const POSTS_SHARD_KEYS = {
  posts: { userId: 1 },
  postEdits: { postId: 1 },
  comments: { postId: 1 },
  reactions: { targetId: 1 },
  pollVotes: { postId: 1 },
  hashtags: { _id: "hashed" },
} as const;

/** "Posts near here": a 2dsphere index over the GeoJSON point (sparse: most posts have no location). */
export const POSTS_GEO_INDEX: IndexDescription = { key: { "location.point": "2dsphere" }, name: "location_2dsphere", sparse: true };

/** An attached upload as a post (or one of its snapshots) stores it. */
const postMediaItem = {
  bsonType: "object",
  required: ["uploadId", "kind", "mimeType", "size"],
  properties: {
    uploadId: { bsonType: "string", minLength: 1, maxLength: 64 },
    kind: { enum: ["image", "video"] },
    mimeType: { bsonType: "string", maxLength: 127 },
    size: { bsonType: ["int", "long", "double"], minimum: 0 },
  },
};

export const postsCollection: CollectionSpec = {
  name: "posts",
  shardKey: { _id: "hashed" },
  shardReason:
    "Hashed _id rather than the seed's author: a post is read and written by its id alone (opening it, feed hydration by $in ids, every reaction, comment, vote, view and counter write) far more often than by author, and those paths hold no author id. The author timeline and feed rebuilds by followed authors are bounded scatter-gathers (a limit over user_visibility_deleted_created on every shard). A hashed key allows no unique index but _id: idempotent creates claim their id in postClientIds.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["userId", "content", "hashtags", "mentions", "visibility", "stats", "version", "isDeleted", "createdAt", "updatedAt"],
      properties: {
        userId,
        clientId: { bsonType: "string", maxLength: 64 },
        content: {
          bsonType: "object",
          required: ["text", "media"],
          properties: {
            text: { bsonType: "string", maxLength: MAX_POST_TEXT },
            media: { bsonType: "array", maxItems: 4, items: postMediaItem },
          },
        },
        hashtags: { bsonType: "array", maxItems: 30, items: { bsonType: "string", maxLength: 64 } },
        mentions: { bsonType: "array", maxItems: 20, items: userId },
        poll: { bsonType: ["object", "null"] },
        location: { bsonType: ["object", "null"] },
        visibility: { enum: [...POST_VISIBILITIES] },
        sharedPostId: { bsonType: ["objectId", "null"] },
        sharedUserId: { bsonType: ["string", "null"] },
        stats: {
          bsonType: "object",
          required: ["reactions", "reactionCount", "comments", "shares", "views", "engagement", "engagementScore", "version"],
          properties: { reactions: reactionCounts },
        },
        version: { bsonType: "int", minimum: 1 },
        editedAt: nullableDate,
        isDeleted: { bsonType: "bool" },
        deletedAt: nullableDate,
        deletedReason: { enum: ["author", "moderation", null] },
        createdAt: date,
        updatedAt: date,
        outbox: outboxProperty,
      },
    },
  },
  indexes: [
    outboxIndex,
    // The author timeline and the feed's rebuild/merge: a user's live posts, newest first (seed).
    { key: { userId: 1, visibility: 1, isDeleted: 1, createdAt: -1, _id: -1 }, name: "user_visibility_deleted_created" },
    // Posts by hashtag, newest first (seed).
    { key: { hashtags: 1, createdAt: -1, _id: -1 }, name: "hashtags_created" },
    // Full-text search over the text and the hashtags (seed).
    { key: { "content.text": "text", hashtags: "text" }, name: "content_text", weights: { "content.text": 1, hashtags: 3 } },
    // Trending posts: the stored engagement score with its time decay (seed).
    { key: { "stats.engagementScore": -1, createdAt: -1 }, name: "engagement_score_created" },
    // (A retried create is recognised by its claim in postClientIds: a hashed key allows no other unique index.)
    // Shares of a post (counter repair, purge when the original goes).
    { key: { sharedPostId: 1, createdAt: -1 }, name: "shared_post_created" },
    // Posts mentioning a user.
    { key: { mentions: 1, createdAt: -1 }, name: "mentions_created" },
    POSTS_GEO_INDEX,
  ],
};

/**
 * `postClientIds`: a create's claim of its client id, `_id` = `<userId>:<clientId>`,
 * naming the post id to use. Taken before the post is built, so a retry (even
 * after a crash between the two writes) builds the same post id, and racing
 * retries collide on the post's `_id`.
 */
export const postClientIdsCollection: CollectionSpec = {
  name: "postClientIds",
  shardKey: { _id: "hashed" },
  shardReason: "A claim is only read and written by its _id (author and client id); hashed spreads them evenly.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["_id", "postId", "createdAt"],
      properties: { _id: { bsonType: "string", maxLength: 200 }, postId: { bsonType: "objectId" }, createdAt: { bsonType: "date" } },
    },
  },
  indexes: [],
};

export const postEditsCollection: CollectionSpec = {
  name: "postEdits",
  shardKey: { postId: 1 },
  shardReason:
    "Edit history is read per post; the unique (postId, version) starts with it.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["postId", "userId", "version", "text", "hashtags", "createdAt", "replacedAt"],
      properties: {
        postId: { bsonType: "objectId" },
        userId,
        version: { bsonType: "int", minimum: 1 },
        text: { bsonType: "string", maxLength: MAX_POST_TEXT },
        media: { bsonType: "array", maxItems: 4, items: postMediaItem },
      },
    },
  },
  // One snapshot per replaced version: a retried or racing edit cannot store two.
  indexes: [{ key: { postId: 1, version: 1 }, name: "post_version_unique", unique: true }],
};

export const commentsCollection: CollectionSpec = {
  name: "comments",
  shardKey: { postId: 1 },
  shardReason:
    "A post's comment threads are the hot read; the retry key (postId, userId, clientId) starts with it.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["postId", "userId", "parentId", "anchorId", "depth", "sortKey", "text", "stats", "isDeleted", "createdAt"],
      properties: {
        postId: { bsonType: "objectId" },
        userId,
        parentId: { bsonType: ["objectId", "null"] },
        depth: { bsonType: "int", minimum: 1, maximum: MAX_COMMENT_DEPTH },
        sortKey: { bsonType: "string", maxLength: 200 },
        text: { bsonType: "string", maxLength: MAX_COMMENT_TEXT },
        isDeleted: { bsonType: "bool" },
        createdAt: date,
        stats: { bsonType: "object", required: ["reactions", "reactionCount", "replies"], properties: { reactions: reactionCounts } },
        outbox: outboxProperty,
      },
    },
  },
  indexes: [
    outboxIndex,
    // A page of a whole thread, depth first, is one range of the materialised path.
    { key: { postId: 1, sortKey: 1 }, name: "post_sort_key" },
    // Top-level comments (parentId null) and the direct replies of one comment, in order.
    { key: { postId: 1, parentId: 1, sortKey: 1 }, name: "post_parent_sort_key" },
    // A retried comment returns the comment the first attempt made. Prefixed by the shard key so a
    // sharded cluster can enforce it (a retry names the same post, so per-post uniqueness is the same rule).
    { key: { postId: 1, userId: 1, clientId: 1 }, name: "user_client_id", unique: true, partialFilterExpression: { clientId: { $exists: true } } },
  ],
};

export const reactionsCollection: CollectionSpec = {
  name: "reactions",
  shardKey: { targetId: 1 },
  shardReason:
    "Reactions are listed, counted and toggled per target; the unique (targetId, userId) starts with it.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["targetId", "targetType", "userId", "type", "createdAt"],
      properties: { targetId: { bsonType: "objectId" }, targetType: { enum: ["post", "comment"] }, userId, type: { enum: [...REACTION_TYPES] }, createdAt: date },
    },
  },
  indexes: [
    // One reaction per user per target: changing it replaces it, and counters follow what changed.
    { key: { targetId: 1, userId: 1 }, name: "target_user_unique", unique: true },
    // "Who reacted" pages, newest first, optionally by type.
    { key: { targetId: 1, _id: -1 }, name: "target_id" },
    { key: { targetId: 1, type: 1, _id: -1 }, name: "target_type_id" },
  ],
};

export const pollVotesCollection: CollectionSpec = {
  name: "pollVotes",
  shardKey: { postId: 1 },
  shardReason:
    "Votes are cast and tallied per post; the unique index starts with postId.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["postId", "userId", "pollVersion", "optionIds", "createdAt"],
      properties: { postId: { bsonType: "objectId" }, userId, pollVersion: { bsonType: "int" }, optionIds: { bsonType: "array", minItems: 1, maxItems: 4 }, createdAt: date },
    },
  },
  // One vote per user per version of the options: editing the options opens a fresh ballot.
  indexes: [{ key: { postId: 1, pollVersion: 1, userId: 1 }, name: "post_version_user_unique", unique: true }],
};

export const hashtagsCollection: CollectionSpec = {
  name: "hashtags",
  shardKey: null,
  shardReason:
    "Unsharded: one small document per tag (tens of thousands), ranked from Redis; the recalculation scan is maintenance.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["_id", "firstSeenAt", "lastUsedAt", "needsRecalculation"],
      properties: { _id: { bsonType: "string", maxLength: 64 }, needsRecalculation: { bsonType: "bool" }, trendScore: { bsonType: "number" } },
    },
  },
  indexes: [
    // The weekly full recalculation walks the flagged tags.
    { key: { needsRecalculation: 1, _id: 1 }, name: "needs_recalculation" },
    // Trending hashtags as last computed.
    { key: { trendScore: -1 }, name: "trend_score" },
  ],
};

/** Collections whose documents carry outbox entries, with their shard keys (the sweep's filters include them). */
export const POSTS_OUTBOX = [
  { name: "posts", shardKey: [] as string[] },
  { name: "comments", shardKey: ["postId"] },
];

export const postCollections: readonly CollectionSpec[] = [
  postsCollection,
  postClientIdsCollection,
  postEditsCollection,
  commentsCollection,
  reactionsCollection,
  pollVotesCollection,
  hashtagsCollection,
];
