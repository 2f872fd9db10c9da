import { outboxIndex, outboxProperty } from "../events/outbox.schema.js";
import type { CollectionSpec } from "../db/mongo-collections.js";

/**
 * `follows`: one document per (follower, followee) pair, pending until a
 * private account accepts it. Lists page newest first by `_id`.
 */
export const followsCollection: CollectionSpec = {
  name: "follows",
  shardKey: { followerId: 1 },
  shardReason:
    "The unique (followerId, followeeId) pair must start with the key. Follow checks and \"who I follow\" target one shard; follower lists of an author (fan-out jobs, counts) are scatter-gathers, run in jobs off the request path.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["followerId", "followeeId", "status", "createdAt"],
      properties: {
        followerId: { bsonType: "string", minLength: 1, maxLength: 64 },
        followeeId: { bsonType: "string", minLength: 1, maxLength: 64 },
        status: { enum: ["pending", "accepted"] },
        createdAt: { bsonType: "date" },
        acceptedAt: { bsonType: ["date", "null"] },
        outbox: outboxProperty,
      },
    },
  },
  indexes: [
    // The pair is unique: a retried follow never creates a second edge (nor a second increment).
    { key: { followerId: 1, followeeId: 1 }, name: "follower_followee_unique", unique: true },
    // Followers of a user and their pending requests, newest first.
    { key: { followeeId: 1, status: 1, _id: -1 }, name: "followee_status_id" },
    // Whom a user follows, newest first.
    { key: { followerId: 1, status: 1, _id: -1 }, name: "follower_status_id" },
    outboxIndex,
  ],
};
