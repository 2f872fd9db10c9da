import type { Redis } from "ioredis";
import { defineScripts } from "../db/redis-scripts.js";

/** Per tag per UTC day: the posts that used it and, per account, how many of its posts did. One slot per tag. */
const postsKey = (tag: string, day: string): string => `trend:{t:${tag}}:${day}:posts`;
const accountsKey = (tag: string, day: string): string => `trend:{t:${tag}}:${day}:accounts`;
/** The tags used on a day. */
const activeKey = (day: string): string => `trend:{d:${day}}:active`;
/** Peak score and time per tag, the ranking, and tags whose counts lost a post since the last refresh. */
const PEAKS = "trend:{rank}:peaks";
const RANKING = "trend:{rank}:scores";
const DIRTY = "trend:{rank}:dirty";

/** Counts a post once per tag (SADD decides), and its account once per tag and day. */
const COUNT = `
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1`;

/** Removes a post's contribution (deleted, moderated, edited away); 1 when there was one. */
const UNCOUNT = `
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('HINCRBY', KEYS[2], ARGV[2], -1) <= 0 then redis.call('HDEL', KEYS[2], ARGV[2]) end
return 1`;

/** Replaces a tag's day with a recount: ARGV = ttl, then postId, userId pairs. */
const RESET = `
redis.call('DEL', KEYS[1], KEYS[2])
for i = 2, #ARGV, 2 do
  redis.call('SADD', KEYS[1], ARGV[i])
  redis.call('HINCRBY', KEYS[2], ARGV[i + 1], 1)
end
if #ARGV > 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]); redis.call('EXPIRE', KEYS[2], ARGV[1]) end
return 1`;

type ScriptRedis = Redis & {
  trendCount(k1: string, k2: string, postId: string, userId: string, ttl: number): Promise<number>;
  trendUncount(k1: string, k2: string, postId: string, userId: string): Promise<number>;
  trendReset(k1: string, k2: string, ...args: Array<string | number>): Promise<number>;
};

export interface DayCounts {
  uses: number;
  accounts: number;
}

export interface Peak {
  score: number;
  at: number;
}

/**
 * Exact trend counters in Redis: sets rather than HyperLogLogs, because a deleted
 * or moderated post's contribution must come out again, and a HyperLogLog cannot
 * forget. Idempotent: a post counts once per tag however often its event arrives.
 */
export class TrendCounterRepository {
  private readonly redis: ScriptRedis;

  constructor(
    redis: Redis,
    private readonly ttlSeconds: number,
  ) {
    const keys = [postsKey("tag", "2026-01-01"), accountsKey("tag", "2026-01-01")];
    defineScripts(redis, {
      trendCount: { numberOfKeys: 2, lua: COUNT, sample: () => [...keys, "p1", "u1", 60] },
      trendUncount: { numberOfKeys: 2, lua: UNCOUNT, sample: () => [...keys, "p1", "u1"] },
      trendReset: { numberOfKeys: 2, lua: RESET, sample: () => [...keys, 60, "p1", "u1"] },
    });
    this.redis = redis as ScriptRedis;
  }

  async count(day: string, tags: readonly string[], postId: string, userId: string): Promise<number> {
    if (tags.length === 0) return 0;
    const results = await Promise.all(tags.map((tag) => this.redis.trendCount(postsKey(tag, day), accountsKey(tag, day), postId, userId, this.ttlSeconds)));
    await this.redis.sadd(activeKey(day), ...tags);
    await this.redis.expire(activeKey(day), this.ttlSeconds);
    return results.reduce((a, b) => a + b, 0);
  }

  /** Removes a post from its tags' counts; tags that lost something are marked for a peak reset. */
  async uncount(day: string, tags: readonly string[], postId: string, userId: string): Promise<number> {
    if (tags.length === 0) return 0;
    const results = await Promise.all(tags.map((tag) => this.redis.trendUncount(postsKey(tag, day), accountsKey(tag, day), postId, userId)));
    const touched = tags.filter((_, i) => results[i] === 1);
    if (touched.length > 0) await this.redis.sadd(DIRTY, ...touched);
    return touched.length;
  }

  /** Replaces a tag's counts for a day with a recount from the posts (the weekly full recalculation). */
  async reset(day: string, tag: string, uses: ReadonlyArray<{ postId: string; userId: string }>): Promise<void> {
    await this.redis.trendReset(postsKey(tag, day), accountsKey(tag, day), this.ttlSeconds, ...uses.flatMap((u) => [u.postId, u.userId]));
    if (uses.length > 0) {
      await this.redis.sadd(activeKey(day), tag);
      await this.redis.expire(activeKey(day), this.ttlSeconds);
    }
    await this.redis.sadd(DIRTY, tag);
  }

  async activeTags(day: string): Promise<string[]> {
    return this.redis.smembers(activeKey(day));
  }

  /** Uses and distinct accounts of each tag on a day: single-key reads sent together (auto-pipelined per node; tags live in different slots). */
  async dayCounts(day: string, tags: readonly string[]): Promise<Map<string, DayCounts>> {
    const out = new Map<string, DayCounts>();
    if (tags.length === 0) return out;
    const results = await Promise.all(tags.map((tag) => Promise.all([this.redis.scard(postsKey(tag, day)), this.redis.hlen(accountsKey(tag, day))])));
    tags.forEach((tag, i) => {
      const [uses, accounts] = results[i]!;
      if (uses > 0) out.set(tag, { uses, accounts });
    });
    return out;
  }

  async peaks(): Promise<Map<string, Peak>> {
    const raw = await this.redis.hgetall(PEAKS);
    return new Map(Object.entries(raw).map(([tag, v]) => {
      const [score, at] = v.split("|");
      return [tag, { score: Number(score), at: Number(at) }];
    }));
  }

  /** Takes (and clears) the tags whose counts lost posts since the last refresh. */
  async takeDirty(): Promise<Set<string>> {
    const [[, members]] = ((await this.redis.multi().smembers(DIRTY).del(DIRTY).exec()) ?? [[null, []]]) as [[Error | null, string[]]];
    return new Set(members ?? []);
  }

  /** Writes peaks and the ranking computed by a refresh (tags not listed leave both). */
  async saveRanking(peaks: ReadonlyMap<string, Peak>, scores: ReadonlyMap<string, number>): Promise<void> {
    const multi = this.redis.multi().del(PEAKS, RANKING);
    if (peaks.size > 0) multi.hset(PEAKS, Object.fromEntries([...peaks].map(([t, p]) => [t, `${p.score}|${p.at}`])));
    if (scores.size > 0) multi.zadd(RANKING, ...[...scores].flatMap(([t, s]) => [s, t]));
    await multi.exec();
  }

  async top(limit: number): Promise<Array<{ tag: string; score: number }>> {
    const flat = await this.redis.zrevrange(RANKING, 0, limit - 1, "WITHSCORES");
    const out: Array<{ tag: string; score: number }> = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ tag: flat[i] as string, score: Number(flat[i + 1]) });
    return out;
  }
}
