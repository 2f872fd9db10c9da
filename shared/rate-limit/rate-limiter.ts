import { randomUUID } from "node:crypto";
import { defineScripts } from "../db/redis-scripts.js";
import type { Redis } from "ioredis";
import { AppError } from "../errors/app-error.js";

/** A budget: at most `limit` hits in any window of `windowSeconds`. */
export interface RateRule {
  limit: number;
  windowSeconds: number;
}

export interface RateDecision {
  allowed: boolean;
  remaining: number;
  /** When refused: seconds until the oldest hit leaves the window. */
  retryAfterSeconds: number;
}

/**
 * Sliding-window log in one sorted set per key: drop hits older than the
 * window, count, and record this hit only if under the limit — one round trip.
 */
const SLIDING_WINDOW = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, 0, now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window)
  return {1, limit - count - 1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local retry = window
if oldest[2] then retry = tonumber(oldest[2]) + window - now end
return {0, 0, retry}
`;

type LimiterRedis = Redis & { rateLimitHit(key: string, now: number, windowMs: number, limit: number, member: string): Promise<[number, number, number]> };

/** Redis sliding-window rate limiter shared by HTTP routes and socket events. */
export class RateLimiter {
  private readonly redis: LimiterRedis;

  constructor(redis: Redis) {
    defineScripts(redis, { rateLimitHit: { numberOfKeys: 1, lua: SLIDING_WINDOW, sample: () => ["rl:sample:u:1", Date.now(), 60_000, 10, "m1"] } });
    this.redis = redis as LimiterRedis;
  }

  /** Records a hit against `key` (e.g. `login:ip:1.2.3.4`) if the rule allows it. */
  async hit(key: string, rule: RateRule): Promise<RateDecision> {
    const windowMs = rule.windowSeconds * 1000;
    const [allowed, remaining, retryMs] = await this.redis.rateLimitHit(`rl:${key}`, Date.now(), windowMs, rule.limit, randomUUID());
    return { allowed: allowed === 1, remaining, retryAfterSeconds: Math.max(1, Math.ceil(retryMs / 1000)) };
  }

  /** Like `hit`, but throws RATE_LIMITED (HTTP 429 with Retry-After) when refused. */
  async consume(key: string, rule: RateRule): Promise<RateDecision> {
    const decision = await this.hit(key, rule);
    if (!decision.allowed) {
      throw new AppError("RATE_LIMITED", `Too many requests; retry in ${decision.retryAfterSeconds} s`, {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
    return decision;
  }
}
