import type { Redis } from "ioredis";
import { defineScripts } from "../db/redis-scripts.js";

/** One home-timeline entry: a post id and its author (so an author's posts can be purged without a query). */
export interface TimelineEntry {
  postId: string;
  authorId: string;
  /** The post's creation time in ms: the score. */
  at: number;
}

/** A timeline key exists once it was built; this member (score 0) marks a built timeline that may hold no post. */
const SENTINEL = "_";
export const timelineKey = (userId: string): string => `feed:{u:${userId}}`;
/** Authors merged at read time instead of fanned out. One small set, read once per feed page. */
export const BIG_AUTHORS_KEY = "feed:{big}:authors";
const member = (e: Pick<TimelineEntry, "postId" | "authorId">): string => `${e.postId}:${e.authorId}`;

/**
 * Inserts into a built timeline only (an expired one is rebuilt on read), trimming to the
 * bound only when the insert took it past it. A built timeline always holds the sentinel, so
 * ZCARD 0 means "not built"; it also carries a TTL (set by the rebuild, refreshed by reads),
 * so the insert does not touch it. Two commands in the common case instead of four: this
 * script runs once per follower per post.
 */
const INSERT = `
local size = redis.call('ZCARD', KEYS[1])
if size == 0 then return 0 end
local added = 0
for i = 2, #ARGV, 2 do added = added + redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1]) end
local keep = tonumber(ARGV[1]) + 1
if size + added > keep then redis.call('ZREMRANGEBYRANK', KEYS[1], 1, -keep) end
return added`;

/** Replaces a timeline with a rebuilt one (the sentinel marks it built even when empty). */
const REPLACE = `
redis.call('DEL', KEYS[1])
redis.call('ZADD', KEYS[1], 0, '${SENTINEL}')
for i = 3, #ARGV, 2 do redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('ZREMRANGEBYRANK', KEYS[1], 1, -(tonumber(ARGV[1]) + 1))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1`;

/** Removes every entry of an author (unfollow, block). */
const PURGE = `
local suffix = ':' .. ARGV[1]
local removed = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(m, -string.len(suffix)) == suffix then removed = removed + redis.call('ZREM', KEYS[1], m) end
end
return removed`;

/** A page newest first at or below `max`, plus whether the timeline exists; refreshes its TTL. */
const PAGE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, {}} end
if tonumber(ARGV[3]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return {1, redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], '(0', 'WITHSCORES', 'LIMIT', 0, ARGV[2])}`;

type ScriptRedis = Redis & {
  feedInsert(key: string, ...args: Array<string | number>): Promise<number>;
  feedReplace(key: string, ...args: Array<string | number>): Promise<number>;
  feedPurge(key: string, authorId: string): Promise<number>;
  feedPage(key: string, max: string, count: number, ttl: number): Promise<[number, string[]]>;
};

/**
 * Home timelines in Redis: one sorted set per user (`feed:{u:<id>}`, one hash slot
 * per user, so every script touches one slot), scored by post time, bounded to
 * `maxLength` entries, expiring after `ttlSeconds` without a read.
 */
export class TimelineRepository {
  private readonly redis: ScriptRedis;

  constructor(
    redis: Redis,
    private readonly options: { maxLength: number; ttlSeconds: number },
  ) {
    const key = timelineKey("u1");
    defineScripts(redis, {
      feedInsert: { numberOfKeys: 1, lua: INSERT, sample: () => [key, 100, 1, "p1:a1"] },
      feedReplace: { numberOfKeys: 1, lua: REPLACE, sample: () => [key, 100, 60, 1, "p1:a1"] },
      feedPurge: { numberOfKeys: 1, lua: PURGE, sample: () => [key, "a1"] },
      feedPage: { numberOfKeys: 1, lua: PAGE, sample: () => [key, "+inf", 10, 60] },
    });
    this.redis = redis as ScriptRedis;
  }

  /**
   * Inserts one entry into each user's built timeline; returns how many
   * timelines took it. One script per user (each timeline is its own slot),
   * sent together: the client's auto-pipelining batches them per node.
   */
  async insertMany(userIds: readonly string[], entry: TimelineEntry): Promise<number> {
    if (userIds.length === 0) return 0;
    const value = member(entry);
    const results = await Promise.all(userIds.map((userId) => this.redis.feedInsert(timelineKey(userId), this.options.maxLength, entry.at, value)));
    return results.reduce((sum, added) => sum + Number(added), 0);
  }

  /** Merges entries into a user's built timeline (a follow); no-op when it is not built. */
  async merge(userId: string, entries: readonly TimelineEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    return this.redis.feedInsert(timelineKey(userId), this.options.maxLength, ...entries.flatMap((e) => [e.at, member(e)]));
  }

  /** Replaces a user's timeline with `entries` (a rebuild). */
  async replace(userId: string, entries: readonly TimelineEntry[]): Promise<void> {
    await this.redis.feedReplace(timelineKey(userId), this.options.maxLength, this.options.ttlSeconds, ...entries.flatMap((e) => [e.at, member(e)]));
  }

  async purgeAuthor(userId: string, authorId: string): Promise<number> {
    return this.redis.feedPurge(timelineKey(userId), authorId);
  }

  async remove(userId: string, entries: ReadonlyArray<Pick<TimelineEntry, "postId" | "authorId">>): Promise<void> {
    if (entries.length > 0) await this.redis.zrem(timelineKey(userId), ...entries.map(member));
  }

  /** Up to `count` entries at or below `maxAt` (ms), newest first; null when the timeline is not built. */
  async page(userId: string, maxAt: number | undefined, count: number): Promise<TimelineEntry[] | null> {
    const [exists, flat] = await this.redis.feedPage(timelineKey(userId), maxAt === undefined ? "+inf" : String(maxAt), count, this.options.ttlSeconds);
    if (exists === 0) return null;
    const out: TimelineEntry[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const raw = flat[i] as string;
      const split = raw.indexOf(":");
      out.push({ postId: raw.slice(0, split), authorId: raw.slice(split + 1), at: Number(flat[i + 1]) });
    }
    return out;
  }

  async drop(userId: string): Promise<void> {
    await this.redis.del(timelineKey(userId));
  }

  /** Entries of a timeline (tests, debugging). */
  async all(userId: string): Promise<TimelineEntry[]> {
    return (await this.page(userId, undefined, 100_000)) ?? [];
  }

  async setBigAuthor(authorId: string, big: boolean): Promise<void> {
    if (big) await this.redis.sadd(BIG_AUTHORS_KEY, authorId);
    else await this.redis.srem(BIG_AUTHORS_KEY, authorId);
  }

  async bigAuthors(): Promise<string[]> {
    return this.redis.smembers(BIG_AUTHORS_KEY);
  }
}
