import type { Redis } from "ioredis";
import { defineScripts } from "../db/redis-scripts.js";

/**
 * Refreshes `typing:{chatId}:{userId}` and tells whether to broadcast: yes when
 * the user was not typing, or the last broadcast is older than the throttle.
 * The value is the time of the last broadcast. KEYS: typing key. ARGV: ttl ms,
 * throttle ms.
 */
const START = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = redis.call('GET', KEYS[1])
if last and now - tonumber(last) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return 0
end
redis.call('SET', KEYS[1], now, 'PX', ARGV[1])
return 1
`;

type TypingRedis = Redis & { typingStart(key: string, ttlMs: number, throttleMs: number): Promise<number> };

const typingKey = (conversationId: string, userId: string): string => `typing:${conversationId}:${userId}`;

/** Typing indicators in Redis: one short-lived key per user and conversation, shared by all their devices. */
export class TypingRepository {
  private readonly redis: TypingRedis;

  constructor(redis: Redis) {
    defineScripts(redis, { typingStart: { numberOfKeys: 1, lua: START, sample: () => [typingKey("c1", "u1"), 3_000, 2_000] } });
    this.redis = redis as TypingRedis;
  }

  /** Marks the user typing for `ttlMs`; true when the others should be told (throttled across devices). */
  async start(conversationId: string, userId: string, ttlMs: number, throttleMs: number): Promise<boolean> {
    return (await this.redis.typingStart(typingKey(conversationId, userId), ttlMs, throttleMs)) === 1;
  }

  /** Clears the indicator; true when it was set (so the others saw it). */
  async stop(conversationId: string, userId: string): Promise<boolean> {
    return (await this.redis.del(typingKey(conversationId, userId))) === 1;
  }
}
