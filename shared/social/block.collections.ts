import { outboxIndex, outboxProperty } from "../events/outbox.schema.js";
import type { CollectionSpec } from "../db/mongo-collections.js";

/** `blockedUsers`: one document per (blocker, blocked) pair. */
export const blockedUsersCollection: CollectionSpec = {
  name: "blockedUsers",
  shardKey: { blockerId: 1 },
  shardReason:
    "The unique (blockerId, blockedId) pair starts with it; \"who blocked me\" is read from the blockedBy mirror, sharded by the blocked user, so both halves of the either-way check target one shard.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["blockerId", "blockedId", "createdAt"],
      properties: {
        blockerId: { bsonType: "string", minLength: 1, maxLength: 64 },
        blockedId: { bsonType: "string", minLength: 1, maxLength: 64 },
        createdAt: { bsonType: "date" },
        outbox: outboxProperty,
      },
    },
  },
  indexes: [
    { key: { blockerId: 1, blockedId: 1 }, name: "blocker_blocked_unique", unique: true },
    // My blocked list, newest first.
    { key: { blockerId: 1, _id: -1 }, name: "blocker_id" },
    // Who blocked a user, for the pair check's reverse branch and the mirror repair (read by the blocked side
    // only through the blockedBy mirror).
    { key: { blockedId: 1, blockerId: 1 }, name: "blocked_blocker" },
    outboxIndex,
  ],
};

/**
 * `blockedBy`: the mirror of `blockedUsers` keyed by the blocked user, one
 * document per pair, written after the block (an idempotent upsert) and
 * removed after the unblock. It serves "who blocked me", the half of the
 * either-way check that `blockedUsers`' key cannot target. The weekly
 * `blocks.mirror-repair` task rebuilds missing mirrors and drops orphans
 * (a crash between the two writes; blocks made before the mirror existed).
 */
export const blockedByCollection: CollectionSpec = {
  name: "blockedBy",
  shardKey: { blockedId: 1 },
  shardReason:
    "The mirror exists to serve \"who blocked me\" from one shard: the blocked user is the key; the unique (blockedId, blockerId) starts with it.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["blockedId", "blockerId", "createdAt"],
      properties: {
        blockedId: { bsonType: "string", minLength: 1, maxLength: 64 },
        blockerId: { bsonType: "string", minLength: 1, maxLength: 64 },
        createdAt: { bsonType: "date" },
      },
    },
  },
  indexes: [{ key: { blockedId: 1, blockerId: 1 }, name: "blocked_blocker_unique", unique: true }],
};
