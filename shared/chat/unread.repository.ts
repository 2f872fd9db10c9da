import type { Redis } from "ioredis";
import { defineScripts } from "../db/redis-scripts.js";

/**
 * Bumps every listed counter that exists. A missing counter means "unknown"
 * (never computed, expired, or lost with Redis) and is left missing, so the
 * next read rebuilds it from the cursors instead of starting from a wrong 1.
 */
const INCR_EXISTING = `
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then redis.call('INCR', key) end
end
return 0
`;

/** Lowers an existing counter, never below zero. */
const DECR_EXISTING = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local left = redis.call('DECRBY', KEYS[1], ARGV[1])
if left < 0 then redis.call('SET', KEYS[1], 0, 'KEEPTTL') left = 0 end
return left
`;

/** A counter lives this long; drift from a rare race cannot outlast it. */
export const UNREAD_TTL_SECONDS = 24 * 3600;

type UnreadRedis = Redis & {
  chatUnreadIncr(numKeys: number, ...keys: string[]): Promise<number>;
  chatUnreadDecr(key: string, by: number): Promise<number>;
};

/** Hash-tagged by conversation, so the counters one message bumps share a slot (one script in Redis Cluster). */
export const unreadKey = (userId: string, conversationId: string): string => `unread:{c:${conversationId}}:${userId}`;

/**
 * Unread counters in Redis, `unread:{c:<conversationId>}:<userId>` (the app
 * connection adds REDIS_PREFIX). They cache what the read cursors imply.
 */
export class UnreadRepository {
  private readonly redis: UnreadRedis;

  constructor(redis: Redis) {
    defineScripts(redis, {
      chatUnreadIncr: { lua: INCR_EXISTING, sample: () => [2, unreadKey("u1", "c1"), unreadKey("u2", "c1")] },
      chatUnreadDecr: { numberOfKeys: 1, lua: DECR_EXISTING, sample: () => [unreadKey("u1", "c1"), 1] },
    });
    this.redis = redis as UnreadRedis;
  }

  /** One round trip for every recipient of a message. */
  async incrementExisting(userIds: readonly string[], conversationId: string): Promise<void> {
    if (userIds.length === 0) return;
    await this.redis.chatUnreadIncr(userIds.length, ...userIds.map((id) => unreadKey(id, conversationId)));
  }

  /** Lowers the counter by `by` (0 just reads it); the new value, or null when it is unknown. */
  async decrementExisting(userId: string, conversationId: string, by: number): Promise<number | null> {
    const left = await this.redis.chatUnreadDecr(unreadKey(userId, conversationId), Math.max(0, by));
    return left < 0 ? null : left;
  }

  /** The cached counts, `null` where unknown. */
  async get(userId: string, conversationIds: readonly string[]): Promise<(number | null)[]> {
    if (conversationIds.length === 0) return [];
    // One GET per key (pipelined by the client): the keys live in different slots.
    const values = await Promise.all(conversationIds.map((id) => this.redis.get(unreadKey(userId, id))));
    return values.map((value) => (value === null ? null : Number(value)));
  }

  /** Stores a count rebuilt from the cursors unless a counter appeared meanwhile. */
  async fill(userId: string, conversationId: string, count: number): Promise<void> {
    await this.redis.set(unreadKey(userId, conversationId), count, "EX", UNREAD_TTL_SECONDS, "NX");
  }

  async set(userId: string, conversationId: string, count: number): Promise<void> {
    await this.redis.set(unreadKey(userId, conversationId), count, "EX", UNREAD_TTL_SECONDS);
  }

  /** Drops the recipients' counters of one conversation (one slot); the next read rebuilds them from the cursors. */
  async forget(userIds: readonly string[], conversationId: string): Promise<void> {
    if (userIds.length === 0) return;
    await this.redis.del(...userIds.map((id) => unreadKey(id, conversationId)));
  }

  async remove(userId: string, conversationId: string): Promise<void> {
    await this.redis.del(unreadKey(userId, conversationId));
  }

  /** Drops several users' counters (one pipeline; each key on its own, so it works across cluster slots). */
  async removeMany(userIds: readonly string[], conversationId: string): Promise<void> {
    if (userIds.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const userId of userIds) pipeline.del(unreadKey(userId, conversationId));
    await pipeline.exec();
  }
}
