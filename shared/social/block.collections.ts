import { outboxIndex, outboxProperty } from "../events/outbox.schema.js";
import type { CollectionSpec } from "../db/mongo-collections.js";

/** `blockedUsers`: one document per (blocker, blocked) pair. */
export const blockedUsersCollection: CollectionSpec = {
  name: "blockedUsers",
  shardKey: { blockerId: 1 },
  shardReason:
    "The unique (blockerId, blockedId) pair starts with it; the either-way check reads both directions and is cached in Redis per user.",
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
    // Who blocked me: the other half of "blocked either way".
    { key: { blockedId: 1, blockerId: 1 }, name: "blocked_blocker" },
    outboxIndex,
  ],
};
