import type { Redis } from "ioredis";
import { defineScripts } from "../db/redis-scripts.js";

/** Marks a loaded set, so "blocks nobody" is cached too (Redis drops empty sets). */
const LOADED = "~";
const DEFAULT_TTL_MS = 10 * 60_000;
const GENERATION_TTL_MS = 24 * 3_600_000;

/**
 * Fills the set only if no block change happened since the loader read the
 * generation: a load that raced a change must not cache the old answer.
 * KEYS: set, generation. ARGV: generation read, ttl ms, members...
 */
const FILL_IF_CURRENT = `
local current = redis.call('GET', KEYS[2]) or '0'
if current ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
for i = 3, #ARGV, 500 do
  redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + 499, #ARGV)))
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

type CacheRedis = Redis & {
  blockCacheFill(setKey: string, generationKey: string, generation: string, ttlMs: number, ...members: string[]): Promise<number>;
};

const setKey = (userId: string): string => `blocks:{u:${userId}}`;
const generationKey = (userId: string): string => `blocks:{u:${userId}}:gen`;

/**
 * Redis cache of "blocked either way" per user: `blocks:{u:<userId>}` is a set
 * of the ids that user blocked or is blocked by, `blocks:{u:<userId>}:gen`
 * counts changes. A user's two keys share a hash slot; nothing touches two
 * users' keys in one script or MULTI.
 */
export class BlockCacheRepository {
  private readonly redis: CacheRedis;

  constructor(
    redis: Redis,
    private readonly ttlMs = DEFAULT_TTL_MS,
  ) {
    defineScripts(redis, { blockCacheFill: { numberOfKeys: 2, lua: FILL_IF_CURRENT, sample: () => [setKey("u1"), generationKey("u1"), "0", 60_000, LOADED, "u2"] } });
    this.redis = redis as CacheRedis;
  }

  /** The change counter to read before loading from the store. */
  async generation(userId: string): Promise<string> {
    return (await this.redis.get(generationKey(userId))) ?? "0";
  }

  /** The cached set, or null when it is not cached. */
  async members(userId: string): Promise<Set<string> | null> {
    const members = await this.redis.smembers(setKey(userId));
    if (members.length === 0) return null;
    return new Set(members.filter((m) => m !== LOADED));
  }

  /** For each of `others`, whether it is in the cached set; null when the set is not cached. */
  async contains(userId: string, others: readonly string[]): Promise<boolean[] | null> {
    const result = await this.redis
      .multi()
      .exists(setKey(userId))
      .smismember(setKey(userId), LOADED, ...others)
      .exec();
    if (!result) return null;
    const [[existsError, exists], [memberError, flags]] = result as [[Error | null, number], [Error | null, number[]]];
    if (existsError) throw existsError;
    if (memberError) throw memberError;
    if (exists === 0) return null;
    return flags.slice(1).map((flag) => flag === 1);
  }

  /** Caches a freshly loaded set unless a change happened after `generation` was read. */
  async fill(userId: string, generation: string, blockedIds: readonly string[]): Promise<boolean> {
    const stored = await this.redis.blockCacheFill(
      setKey(userId),
      generationKey(userId),
      generation,
      this.ttlMs,
      LOADED,
      ...blockedIds,
    );
    return stored === 1;
  }

  /** Forgets the sets of every user a block change touched, and bumps their generations (one MULTI per user: one slot each). */
  async invalidate(userIds: readonly string[]): Promise<void> {
    const results = await Promise.all(
      userIds.map((userId) => this.redis.multi().incr(generationKey(userId)).pexpire(generationKey(userId), GENERATION_TTL_MS).del(setKey(userId)).exec()),
    );
    const failed = results.flatMap((result) => result ?? []).find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }
}
