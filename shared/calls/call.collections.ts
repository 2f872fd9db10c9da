import type { CollectionSpec } from "../db/mongo-collections.js";
import { outboxIndex, outboxProperty } from "../events/outbox.schema.js";
import { CALL_STATES, MEDIA_TYPES, PARTICIPANT_STATES } from "./call.types.js";

const id = { bsonType: "string", minLength: 1, maxLength: 64 };
const date = { bsonType: "date" };

/**
 * `calls`: the durable record of every call (seed: Calls collection), a
 * projection of the Redis state written at each transition (ordered by the
 * state's `version`, so a late write never replaces a newer one). `_id` and
 * `roomId` are the call id.
 *
 * Shard key: `{ conversationId: 1, _id: 1 }` (chat data is sharded by
 * conversation); the per-user history queries cannot include it (a user's calls
 * span conversations) and go to every shard, each served by the seed indexes.
 */
export const CALLS_SHARD_KEY = { conversationId: 1, _id: 1 } as const;

export const callsCollection: CollectionSpec = {
  name: "calls",
  shardKey: { conversationId: 1 },
  shardReason:
    "Call records are written with their conversation (the unique (conversationId, roomId) starts with it); a user's call history (participants.userId) scatters.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["_id", "roomId", "conversationId", "initiatorId", "participants", "mediaType", "status", "events", "version", "createdAt", "updatedAt"],
      properties: {
        _id: id,
        roomId: id,
        conversationId: id,
        conversationType: { enum: ["direct", "group"] },
        initiatorId: id,
        participants: {
          bsonType: "array",
          maxItems: 64,
          items: {
            bsonType: "object",
            required: ["userId", "state", "updatedAt"],
            properties: { userId: id, state: { enum: [...PARTICIPANT_STATES] }, deviceId: { bsonType: "string", maxLength: 64 }, answeredAt: date, updatedAt: date },
          },
        },
        mediaType: { enum: [...MEDIA_TYPES] },
        status: { enum: [...CALL_STATES] },
        events: {
          bsonType: "array",
          maxItems: 128,
          items: {
            bsonType: "object",
            required: ["type", "createdAt"],
            properties: {
              type: { bsonType: "string", maxLength: 32 },
              userId: id,
              deviceId: { bsonType: "string", maxLength: 64 },
              reason: { bsonType: "string", maxLength: 64 },
              payload: { bsonType: ["object", "null"] },
              createdAt: date,
            },
          },
        },
        version: { bsonType: "number", minimum: 1 },
        createdAt: date,
        updatedAt: date,
        answeredAt: date,
        endedAt: date,
        endReason: { bsonType: ["string", "null"], maxLength: 64 },
        endedBy: { bsonType: ["string", "null"], maxLength: 64 },
        durationSeconds: { bsonType: "number", minimum: 0 },
        replacedBy: id,
        metadata: { bsonType: ["object", "null"] },
        signalPayload: { bsonType: "null" },
        /** Users who missed it (history "missed only"). */
        missedUserIds: { bsonType: "array", items: id },
        outbox: outboxProperty,
      },
    },
  },
  indexes: [
    // The ten seed indexes, by their seed names.
    // The seed's unique roomId, prefixed by the shard key so a sharded cluster can enforce it (a room is one
    // call of one conversation; roomId equals _id, which alone is unique only per shard once sharded).
    { key: { conversationId: 1, roomId: 1 }, name: "idx_roomId", unique: true },
    { key: { "participants.userId": 1 }, name: "idx_participants_userId" },
    { key: { "participants.userId": 1, updatedAt: -1 }, name: "idx_participants_updatedAt" },
    { key: { initiatorId: 1 }, name: "idx_initiatorId" },
    { key: { status: 1 }, name: "idx_status" },
    { key: { "participants.userId": 1, status: 1, updatedAt: -1 }, name: "idx_participants_status_updatedAt" },
    { key: { createdAt: -1 }, name: "idx_createdAt" },
    { key: { updatedAt: -1 }, name: "idx_updatedAt" },
    { key: { endedAt: -1 }, name: "idx_endedAt", sparse: true },
    { key: { mediaType: 1 }, name: "idx_mediaType" },
    // The outbox sweep re-dispatches undelivered domain events.
    outboxIndex,
  ],
};

export const callCollections: readonly CollectionSpec[] = [callsCollection];
