import { outboxIndex, outboxProperty } from "../events/outbox.schema.js";
import type { CollectionSpec } from "../db/mongo-collections.js";
import {
  AUDIENCES,
  MAX_BIO_LENGTH,
  MAX_DISPLAY_NAME_LENGTH,
  MAX_SOCIAL_LINKS,
  MAX_URL_LENGTH,
  NOTIFICATION_TYPES,
} from "./profile.types.js";

const counter = { bsonType: "number", minimum: 0 };
// Follow counters may dip below zero for an instant when an unfollow's decrement
// lands before the matching follow's increment; a minimum would reject that write.
const socialCounter = { bsonType: "number" };
const date = { bsonType: "date" };

/**
 * `profiles`: one document per user. Usernames are unique case-insensitively
 * through `usernameLower`; `$text` search covers username, display name and bio.
 */
export const profilesCollection: CollectionSpec = {
  name: "profiles",
  shardKey: null,
  shardReason:
    "Unsharded: usernameLower is unique across users, and a sharded collection can only enforce unique indexes prefixed by its shard key. About 1 KB per user (10M users: ~10 GB), read through caches: one replica set holds it.",
  validator: {
    $jsonSchema: {
      bsonType: "object",
      required: [
        "userId",
        "username",
        "usernameLower",
        "displayName",
        "bio",
        "privacy",
        "notificationPreferences",
        "stats",
        "verification",
        "socialLinks",
        "isDeleted",
        "createdAt",
        "updatedAt",
      ],
      properties: {
        userId: { bsonType: "string", minLength: 1, maxLength: 64 },
        username: { bsonType: "string", pattern: "^[A-Za-z0-9_]{3,30}$" },
        usernameLower: { bsonType: "string", pattern: "^[a-z0-9_]{3,30}$" },
        displayName: { bsonType: "string", minLength: 1, maxLength: MAX_DISPLAY_NAME_LENGTH },
        bio: { bsonType: "string", maxLength: MAX_BIO_LENGTH },
        avatarUrl: { bsonType: ["string", "null"], maxLength: MAX_URL_LENGTH },
        avatar: {
          bsonType: ["object", "null"],
          required: ["mediaId", "url", "thumbnailUrl", "ref"],
          additionalProperties: false,
          properties: {
            mediaId: { bsonType: "string", minLength: 1, maxLength: 64 },
            url: { bsonType: "string", maxLength: MAX_URL_LENGTH },
            thumbnailUrl: { bsonType: "string", maxLength: MAX_URL_LENGTH },
            ref: { bsonType: "string", maxLength: 128 },
          },
        },
        privacy: {
          bsonType: "object",
          required: ["isPrivate", "whoCanMessage", "lastSeenVisibility"],
          properties: {
            isPrivate: { bsonType: "bool" },
            whoCanMessage: { enum: [...AUDIENCES] },
            lastSeenVisibility: { enum: [...AUDIENCES] },
          },
        },
        notificationPreferences: {
          bsonType: "object",
          properties: Object.fromEntries(NOTIFICATION_TYPES.map((type) => [type, { bsonType: "bool" }])),
          additionalProperties: false,
        },
        stats: {
          bsonType: "object",
          required: ["followersCount", "followingCount", "postsCount", "videosCount", "viewsCount"],
          properties: {
            followersCount: socialCounter,
            followingCount: socialCounter,
            postsCount: counter,
            videosCount: counter,
            viewsCount: counter,
          },
        },
        verification: {
          bsonType: "object",
          required: ["isVerified"],
          properties: { isVerified: { bsonType: "bool" }, verifiedAt: { bsonType: ["date", "null"] } },
        },
        socialLinks: {
          bsonType: "array",
          maxItems: MAX_SOCIAL_LINKS,
          items: {
            bsonType: "object",
            required: ["platform", "url"],
            properties: {
              platform: { bsonType: "string", minLength: 1, maxLength: 32 },
              url: { bsonType: "string", minLength: 1, maxLength: MAX_URL_LENGTH },
            },
          },
        },
        isDeleted: { bsonType: "bool" },
        deletedAt: { bsonType: ["date", "null"] },
        createdAt: date,
        updatedAt: date,
        outbox: outboxProperty,
      },
    },
  },
  indexes: [
    { key: { userId: 1 }, name: "userId_unique", unique: true },
    { key: { usernameLower: 1 }, name: "usernameLower_unique", unique: true },
    {
      key: { username: "text", displayName: "text", bio: "text" },
      name: "profile_text",
      weights: { username: 10, displayName: 5, bio: 1 },
      default_language: "english",
    },
    // Retention purge: soft-deleted profiles by deletion time.
    { key: { isDeleted: 1, deletedAt: 1 }, name: "isDeleted_deletedAt" },
    outboxIndex,
  ],
};
