import type { Redis } from "ioredis";

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

/**
 * Redis cache of "blocked either way" per user: `blocks:{userId}` is a set of
 * the ids that user blocked or is blocked by, `blocks:gen:{userId}` counts changes.
 */
export class BlockCacheRepository {
  private readonly redis: CacheRedis;

  constructor(
    redis: Redis,
    private readonly ttlMs = DEFAULT_TTL_MS,
  ) {
    if (!("blockCacheFill" in redis)) redis.defineCommand("blockCacheFill", { numberOfKeys: 2, lua: FILL_IF_CURRENT });
    this.redis = redis as CacheRedis;
  }

  private setKey(userId: string): string {
    return `blocks:${userId}`;
  }

  private generationKey(userId: string): string {
    return `blocks:gen:${userId}`;
  }

  /** The change counter to read before loading from the store. */
  async generation(userId: string): Promise<string> {
    return (await this.redis.get(this.generationKey(userId))) ?? "0";
  }

  /** The cached set, or null when it is not cached. */
  async members(userId: string): Promise<Set<string> | null> {
    const members = await this.redis.smembers(this.setKey(userId));
    if (members.length === 0) return null;
    return new Set(members.filter((m) => m !== LOADED));
  }

  /** For each of `others`, whether it is in the cached set; null when the set is not cached. */
  async contains(userId: string, others: readonly string[]): Promise<boolean[] | null> {
    const result = await this.redis
      .multi()
      .exists(this.setKey(userId))
      .smismember(this.setKey(userId), LOADED, ...others)
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
      this.setKey(userId),
      this.generationKey(userId),
      generation,
      this.ttlMs,
      LOADED,
      ...blockedIds,
    );
    return stored === 1;
  }

  /** Forgets the sets of every user a block change touched, and bumps their generations. */
  async invalidate(userIds: readonly string[]): Promise<void> {
    const tx = this.redis.multi();
    for (const userId of userIds) {
      tx.incr(this.generationKey(userId)).pexpire(this.generationKey(userId), GENERATION_TTL_MS).del(this.setKey(userId));
    }
    const result = await tx.exec();
    const failed = result?.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }
}
