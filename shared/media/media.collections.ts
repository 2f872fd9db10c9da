import type { CollectionSpec } from "../db/mongo-collections.js";
import { outboxIndex, outboxProperty } from "../events/outbox.schema.js";
import { MEDIA_PURPOSES, MEDIA_STATUSES } from "./media.types.js";

const id = { bsonType: "string", minLength: 1, maxLength: 64 };
const date = { bsonType: "date" };
const key = { bsonType: "string", minLength: 1, maxLength: 512 };
const count = { bsonType: ["int", "long", "double"], minimum: 0 };

/** How long an expired pending upload's document stays (status `expired`, for the client to see) before MongoDB removes it. */
export const EXPIRED_UPLOAD_KEEP_SECONDS = 24 * 3600;

/**
 * `mediaUploads` (seed: MediaService): one document per upload, owned by its
 * uploader. `objects` lists every storage key the upload owns, written before
 * the object is, so the orphan sweep deletes exactly what no document claims.
 * Pending uploads carry `expiresAt`; the TTL index removes the document a day
 * after the maintenance task marked it `expired` and deleted its objects.
 */
export const mediaUploadsCollection: CollectionSpec = {
  name: "mediaUploads",
  shardKey: { _id: "hashed" },
  shardReason:
    "Hashed _id: an upload is reached by its id alone on every hot path (status moves, attach/detach, publish, URL hydration by $in ids from messages, posts, avatars and videos); only account deletion reads by owner (a marked scatter-gather); expiry and cleanup scans are maintenance.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["_id", "ownerId", "purpose", "status", "kind", "mimeType", "size", "sourceKey", "objects", "metadata", "variants", "refs", "createdAt", "updatedAt"],
      additionalProperties: false,
      properties: {
        _id: id,
        ownerId: id,
        purpose: { enum: [...MEDIA_PURPOSES] },
        status: { enum: [...MEDIA_STATUSES] },
        kind: { enum: ["image", "video", "audio", "file"] },
        mimeType: { bsonType: "string", minLength: 3, maxLength: 127 },
        size: count,
        fileName: { bsonType: "string", minLength: 1, maxLength: 255 },
        resumable: { bsonType: "bool" },
        sourceKey: key,
        mainKey: key,
        objects: { bsonType: "array", maxItems: 16, items: key },
        metadata: {
          bsonType: "object",
          additionalProperties: false,
          properties: {
            width: count,
            height: count,
            durationSeconds: count,
            videoCodec: { bsonType: "string", maxLength: 64 },
            audioCodec: { bsonType: "string", maxLength: 64 },
            checksum: { bsonType: "string", pattern: "^[0-9a-f]{64}$" },
          },
        },
        variants: {
          bsonType: "object",
          additionalProperties: false,
          properties: {
            thumbnail: { bsonType: "object", required: ["key", "mimeType", "width", "height", "size"] },
            display: { bsonType: "object", required: ["key", "mimeType", "width", "height", "size"] },
          },
        },
        published: {
          bsonType: "object",
          additionalProperties: false,
          required: ["main"],
          properties: { main: key, thumbnail: key, display: key },
        },
        refs: { bsonType: "array", maxItems: 10_000, items: { bsonType: "string", maxLength: 128 } },
        failureReason: { bsonType: "string", maxLength: 500 },
        expiresAt: date,
        uploadedAt: date,
        readyAt: date,
        releasedAt: date,
        deletedAt: date,
        createdAt: date,
        updatedAt: date,
        outbox: outboxProperty,
      },
    },
  },
  indexes: [
    // Every per-user read names the owner: the shard key's prefix serves it.
    { key: { ownerId: 1, _id: 1 }, name: "ownerId_id" },
    { key: { ownerId: 1, createdAt: -1 }, name: "ownerId_createdAt" },
    // Seed: auto-expiration of pending uploads.
    { key: { expiresAt: 1 }, name: "expiresAt_ttl", expireAfterSeconds: EXPIRED_UPLOAD_KEEP_SECONDS },
    { key: { status: 1, expiresAt: 1 }, name: "status_expiresAt" },
    { key: { releasedAt: 1 }, name: "releasedAt_sparse", sparse: true },
    // Upload-ready/failed events left behind by a process that died (the outbox sweep).
    outboxIndex,
  ],
};
