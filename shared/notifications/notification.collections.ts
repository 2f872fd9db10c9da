import type { CollectionSpec } from "../db/mongo-collections.js";
import { NOTIFICATION_TYPES } from "./notification.types.js";

const date = { bsonType: "date" };
const id = { bsonType: "string", minLength: 1, maxLength: 128 };

/**
 * `notifications`: one document per notification or group of similar ones
 * (likes of one post in a window). Every query is bounded by the recipient,
 * the shard key (seed: notifications sharded by user). Expired documents go
 * by the TTL index on `expiresAt` (per-type lifetime, 90 days by default).
 */
export const notificationsCollection: CollectionSpec = {
  name: "notifications",
  shardKey: { recipientId: 1 },
  shardReason:
    "Seed choice (user): a recipient's list, unread count and group upserts all name the recipient; the read-and-old cleanup is maintenance.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["_id", "recipientId", "type", "groupKey", "target", "actorIds", "latestActorIds", "count", "data", "link", "read", "sourceIds", "sortKey", "createdAt", "updatedAt", "expiresAt"],
      properties: {
        _id: id,
        recipientId: id,
        type: { enum: [...NOTIFICATION_TYPES] },
        groupKey: { bsonType: "string", maxLength: 300 },
        target: { bsonType: "object", required: ["kind", "id"] },
        actorIds: { bsonType: "array", maxItems: 1000, items: id },
        latestActorIds: { bsonType: "array", maxItems: 10, items: id },
        count: { bsonType: "number", minimum: 0 },
        data: { bsonType: "object" },
        link: { bsonType: "object", required: ["route", "params"] },
        read: { bsonType: "bool" },
        readAt: date,
        sourceIds: { bsonType: "array", maxItems: 200 },
        sortKey: { bsonType: "string", maxLength: 200 },
        createdAt: date,
        updatedAt: date,
        expiresAt: date,
      },
    },
  },
  indexes: [
    // Pages of a recipient's notifications, latest activity first (cursor: sortKey).
    { key: { recipientId: 1, sortKey: -1 }, name: "recipient_sortKey" },
    { key: { recipientId: 1, type: 1, sortKey: -1 }, name: "recipient_type_sortKey" },
    // Unread pages and the unread count (groups, not events).
    { key: { recipientId: 1, read: 1, sortKey: -1 }, name: "recipient_read_sortKey" },
    // An unlike finds the group holding its actor.
    { key: { recipientId: 1, groupKey: 1, updatedAt: -1 }, name: "recipient_groupKey_updatedAt" },
    // Seed: auto-expiration.
    { key: { expiresAt: 1 }, name: "expiresAt_ttl", expireAfterSeconds: 0 },
    // Monthly compaction of old read notifications (maintenance: a deliberate scatter-gather).
    { key: { read: 1, updatedAt: 1 }, name: "read_updatedAt" },
  ],
};

/** Per-user delivery settings beyond the profile's per-type switches: channels, "from" filters, muted posts. */
export const notificationSettingsCollection: CollectionSpec = {
  name: "notificationSettings",
  shardKey: { _id: "hashed" },
  shardReason:
    "One document per user keyed by user id; hashed spreads users evenly.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["_id", "channels", "mutedPosts", "updatedAt"],
      properties: { _id: id, channels: { bsonType: "object" }, mutedPosts: { bsonType: "array", maxItems: 1000, items: id }, updatedAt: date },
    },
  },
  indexes: [],
};

/** Web Push subscriptions, one per browser endpoint, owned by a session (removed with it). */
export const pushSubscriptionsCollection: CollectionSpec = {
  name: "pushSubscriptions",
  shardKey: { userId: 1 },
  shardReason:
    "Delivery reads a user's subscriptions; removal by session on sign-out scatters (rare).",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["_id", "userId", "sessionId", "endpoint", "keys", "createdAt"],
      properties: {
        _id: id,
        userId: id,
        sessionId: id,
        endpoint: { bsonType: "string", maxLength: 2048 },
        keys: { bsonType: "object", required: ["p256dh", "auth"] },
        createdAt: date,
        lastUsedAt: date,
      },
    },
  },
  indexes: [
    { key: { userId: 1 }, name: "userId" },
    { key: { sessionId: 1 }, name: "sessionId" },
  ],
};

/**
 * "Notify me of new posts/videos": one document per (author, follower) pair that
 * asked for something (shard key: the author, whose followers the fan-out reads).
 */
export const authorSubscriptionsCollection: CollectionSpec = {
  name: "authorSubscriptions",
  shardKey: { authorId: 1 },
  shardReason:
    "The fan-out pages an author's subscribers and every read or write names the author; the _id (author:follower) stays unique because it embeds the shard key.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["_id", "authorId", "userId", "kinds", "createdAt", "updatedAt"],
      properties: {
        _id: { bsonType: "string", maxLength: 200 },
        authorId: id,
        userId: id,
        kinds: { bsonType: "array", minItems: 1, maxItems: 2, uniqueItems: true, items: { enum: ["posts", "videos"] } },
        createdAt: date,
        updatedAt: date,
      },
    },
  },
  indexes: [
    // The fan-out: followers of an author who asked for a kind, a page at a time in user id order.
    { key: { authorId: 1, kinds: 1, userId: 1 }, name: "author_kinds_user" },
  ],
};

/** When each user's last e-mail digest went out (one document per user, keyed by the user id). */
export const notificationDigestsCollection: CollectionSpec = {
  name: "notificationDigests",
  shardKey: { _id: "hashed" },
  shardReason:
    "One document per user keyed by user id, read and claimed by _id (a page of users is an $in over _id); hashed spreads users evenly.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: ["_id", "lastPeriod", "lastSentAt"],
      properties: { _id: id, lastPeriod: { bsonType: "string", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" }, lastSentAt: date },
    },
  },
  indexes: [],
};

export const notificationCollections = [notificationsCollection, notificationSettingsCollection, pushSubscriptionsCollection, authorSubscriptionsCollection, notificationDigestsCollection];
