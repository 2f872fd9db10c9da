import type { CollectionSpec } from "../db/mongo-collections.js";
import { outboxIndex, outboxProperty } from "../events/outbox.schema.js";
import { MAX_DESCRIPTION_LENGTH, MAX_TAG_LENGTH, MAX_TAGS, MAX_TITLE_LENGTH, VIDEO_PRIVACY, VIDEO_STATUSES, VIDEO_TYPES } from "./video.types.js";

const id = { bsonType: "string", minLength: 1, maxLength: 64 };
const date = { bsonType: "date" };
const count = { bsonType: "number", minimum: 0 };

/**
 * `videos`: long-form videos and shorts. Every seed query has its index: the
 * shorts feed (type, trendingScore, createdAt), a user's videos (userId,
 * createdAt), trending (trendingScore, stats.viewCount) and full-text search
 * over title, description and tags.
 */
export const videosCollection: CollectionSpec = {
  name: "videos",
  shardKey: { _id: "hashed" },
  shardReason:
    "Hashed _id, like posts (not the seed's owner): the transcode job, its heartbeats and publish, playback, views, likes and shares all hold only the video id; the id is derived from the source upload's, so one video per upload needs no unique index and the upload lookup is a read by _id. A user's videos, the shorts feed, trending and search are bounded, marked scatter-gathers.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["_id", "userId", "type", "title", "description", "tags", "privacy", "status", "source", "renditions", "stats", "trendingScore", "needsTrendingUpdate", "isDeleted", "createdAt", "updatedAt"],
      properties: {
        _id: id,
        userId: id,
        type: { enum: [...VIDEO_TYPES] },
        title: { bsonType: "string", minLength: 1, maxLength: MAX_TITLE_LENGTH },
        description: { bsonType: "string", maxLength: MAX_DESCRIPTION_LENGTH },
        tags: { bsonType: "array", maxItems: MAX_TAGS, items: { bsonType: "string", maxLength: MAX_TAG_LENGTH } },
        location: {
          bsonType: "object",
          required: ["name"],
          properties: { name: { bsonType: "string", maxLength: 200 }, latitude: { bsonType: "number", minimum: -90, maximum: 90 }, longitude: { bsonType: "number", minimum: -180, maximum: 180 } },
        },
        privacy: { enum: [...VIDEO_PRIVACY] },
        status: { enum: [...VIDEO_STATUSES] },
        source: { bsonType: "object", required: ["uploadId"], additionalProperties: false, properties: { uploadId: id } },
        uploadedAt: date,
        failureReason: { bsonType: "string", maxLength: 500 },
        processing: { bsonType: "object", required: ["attemptId", "stage", "percent", "startedAt", "heartbeatAt"] },
        version: { bsonType: "string", maxLength: 64 },
        renditions: { bsonType: "array", maxItems: 8 },
        posterKey: { bsonType: "string", maxLength: 512 },
        storyboard: { bsonType: "object" },
        duration: { bsonType: "number", minimum: 0 },
        dimensions: { bsonType: "object", required: ["width", "height"] },
        stats: {
          bsonType: "object",
          required: ["viewCount", "likeCount", "commentCount", "shareCount", "watchTimeSeconds", "completedViewCount"],
          properties: { viewCount: count, likeCount: count, commentCount: count, shareCount: count, watchTimeSeconds: count, completedViewCount: count },
        },
        trendingScore: { bsonType: "number", minimum: 0, maximum: 1 },
        needsTrendingUpdate: { bsonType: "bool" },
        isDeleted: { bsonType: "bool" },
        deletedAt: date,
        publishedAt: date,
        createdAt: date,
        updatedAt: date,
        // Durable domain events written with the change they announce (see shared/events).
        outbox: outboxProperty,
      },
    },
  },
  indexes: [
    // Shorts feed (seed): ready public shorts by trending score, newest first among equals.
    { key: { type: 1, trendingScore: -1, createdAt: -1 }, name: "type_trendingScore_createdAt" },
    // A user's videos (seed), newest first; `_id` breaks ties for the page cursor.
    { key: { userId: 1, createdAt: -1, _id: -1 }, name: "userId_createdAt" },
    // Trending across types (seed).
    { key: { trendingScore: -1, "stats.viewCount": -1 }, name: "trendingScore_viewCount" },
    // Full-text search (seed).
    { key: { title: "text", description: "text", tags: "text" }, name: "video_text" },
    // One video per upload. Prefixed by the shard key so a sharded cluster can enforce it (an upload
    // belongs to one user, so per-owner uniqueness is the same rule); the lookup names the owner too.
    // Incremental trending recompute: only the videos whose stats changed.
    { key: { needsTrendingUpdate: 1, type: 1 }, name: "needsTrendingUpdate", partialFilterExpression: { needsTrendingUpdate: true } },
    // The sweep that fails videos left processing by a job that can no longer finish.
    { key: { status: 1, updatedAt: 1 }, name: "status_updatedAt" },
    outboxIndex,
  ],
};

/** `video_likes`: one document per (video, user), `_id` = `{videoId}:{userId}`, so a retried like counts once. */
export const videoLikesCollection: CollectionSpec = {
  name: "video_likes",
  shardKey: { videoId: 1 },
  shardReason:
    "Likes and shares are listed and counted per video.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["_id", "videoId", "userId", "createdAt"],
      properties: { _id: { bsonType: "string", maxLength: 130 }, videoId: id, userId: id, createdAt: date, outbox: outboxProperty },
    },
  },
  indexes: [{ key: { videoId: 1, createdAt: -1 }, name: "videoId_createdAt" }, outboxIndex],
};

/** `video_comments`: comments on a video, oldest first; `_id` is the client's id scoped by author, so a retry stores one. */
export const videoCommentsCollection: CollectionSpec = {
  name: "video_comments",
  shardKey: { videoId: 1 },
  shardReason:
    "Comments are listed per video.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["_id", "videoId", "userId", "text", "isDeleted", "createdAt"],
      properties: { _id: { bsonType: "string", maxLength: 130 }, videoId: id, userId: id, text: { bsonType: "string", minLength: 1, maxLength: 2000 }, isDeleted: { bsonType: "bool" }, createdAt: date, outbox: outboxProperty },
    },
  },
  indexes: [{ key: { videoId: 1, createdAt: 1, _id: 1 }, name: "videoId_createdAt" }, outboxIndex],
};

/** `video_shares`: one document per (video, user), like likes: a user's share counts once. */
export const videoSharesCollection: CollectionSpec = { ...videoLikesCollection, name: "video_shares" };

export const videoCollections: readonly CollectionSpec[] = [videosCollection, videoLikesCollection, videoSharesCollection, videoCommentsCollection];

/** Likes and comments are read per video: sharded by `videoId`. */
export const VIDEO_LIKES_SHARD_KEY = { videoId: 1 } as const;
export const VIDEO_SHARES_SHARD_KEY = { videoId: 1 } as const;
export const VIDEO_COMMENTS_SHARD_KEY = { videoId: 1 } as const;
