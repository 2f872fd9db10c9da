import type { Logger } from "../logging/logger.js";
import type { PostRepository } from "../posts/post.repository.js";
import type { PostVisibility } from "../posts/post.types.js";
import type { ProfileRepository } from "../profiles/profile.repository.js";
import type { HashtagRepository } from "./hashtag.repository.js";
import type { Peak, TrendCounterRepository } from "./trend-counter.repository.js";

export interface TrendOptions {
  /** A tag needs at least this many distinct accounts today to score at all. */
  minAccounts: number;
  /** The peak score halves every this many milliseconds. */
  halfLifeMs: number;
  /** A peak older than this is replaced by the current score. */
  peakMaxAgeMs: number;
  /** Tags kept in the ranking. */
  rankingSize: number;
}

export const DEFAULT_TREND_OPTIONS: TrendOptions = { minAccounts: 3, halfLifeMs: 2 * 3600_000, peakMaxAgeMs: 2 * 86_400_000, rankingSize: 100 };

export interface TrendingHashtag {
  tag: string;
  score: number;
  usesToday: number;
  accountsToday: number;
}

const DAY_MS = 86_400_000;
/** A UTC day as `YYYY-MM-DD`. */
export const utcDay = (at: Date | number): string => new Date(typeof at === "number" ? at : at.getTime()).toISOString().slice(0, 10);
/** Below this decayed score a tag leaves the ranking. */
const FLOOR = 0.01;

/** What the durable subscribers receive (a subset of the post events' payloads). */
export interface CountedPost {
  postId: string;
  authorId: string;
  visibility: PostVisibility;
  hashtags: string[];
  createdAt: string;
}

/**
 * Trending hashtags, after Mastodon's expected-vs-observed model:
 *
 *   observed = distinct accounts that used the tag in public posts today (UTC)
 *   expected = max(1, distinct accounts yesterday)          — the baseline
 *   score    = (observed − expected)² / expected  if observed > expected and observed ≥ minAccounts, else 0
 *   peak     = the highest score seen (replaced when older than peakMaxAge)
 *   trend    = peak × 0.5^((now − peakAt) / halfLife)        — what the ranking sorts by
 *
 * The weekly maintenance flags every tag (`needsRecalculation`); each refresh recounts a
 * share of the flagged tags from the posts before scoring.
 *
 * Counted from public posts of public accounts only, exactly (sets, not
 * HyperLogLogs), so a deleted or moderated post's contribution is removed;
 * a tag that lost posts restarts its peak from its current score at the next
 * refresh, so a removed burst does not linger in the decaying peak either.
 */
export class TrendService {
  constructor(
    private readonly counters: TrendCounterRepository,
    private readonly hashtags: HashtagRepository,
    private readonly posts: PostRepository,
    private readonly profiles: ProfileRepository,
    private readonly options: TrendOptions,
    private readonly logger: Logger,
  ) {}

  /** `post.created`: a public post of a public account counts toward its tags' trends. */
  async postCreated(post: CountedPost): Promise<number> {
    if (post.hashtags.length === 0) return 0;
    await this.hashtags.touch(post.hashtags, new Date(post.createdAt));
    if (!(await this.countable(post))) return 0;
    return this.counters.count(utcDay(new Date(post.createdAt)), post.hashtags, post.postId, post.authorId);
  }

  /** `post.deleted` (author or moderation): its contribution comes out. */
  async postDeleted(post: CountedPost): Promise<number> {
    if (post.hashtags.length === 0 || post.visibility !== "public") return 0;
    return this.counters.uncount(utcDay(new Date(post.createdAt)), post.hashtags, post.postId, post.authorId);
  }

  /** An edit added or removed tags of a public post. */
  async hashtagsChanged(post: Omit<CountedPost, "hashtags"> & { added: string[]; removed: string[] }): Promise<void> {
    const day = utcDay(new Date(post.createdAt));
    if (post.removed.length > 0) await this.counters.uncount(day, post.removed, post.postId, post.authorId);
    if (post.added.length > 0) await this.postCreated({ ...post, hashtags: post.added });
  }

  /** Recounts a share of the flagged tags, then recomputes scores, peaks and the ranking (the scheduled job). */
  async refresh(now = new Date()): Promise<{ tags: number; ranked: number; recounted: number }> {
    const recounted = await this.recountFlagged(now);
    const today = utcDay(now);
    const yesterday = utcDay(now.getTime() - DAY_MS);
    const [active, peaks, dirty] = await Promise.all([this.counters.activeTags(today), this.counters.peaks(), this.counters.takeDirty()]);
    const tags = [...new Set([...active, ...peaks.keys()])];
    const [todayCounts, yesterdayCounts] = await Promise.all([this.counters.dayCounts(today, tags), this.counters.dayCounts(yesterday, tags)]);
    const at = now.getTime();
    const nextPeaks = new Map<string, Peak>();
    const scores = new Map<string, number>();
    for (const tag of tags) {
      const observed = todayCounts.get(tag)?.accounts ?? 0;
      const expected = Math.max(1, yesterdayCounts.get(tag)?.accounts ?? 0);
      const score = observed > expected && observed >= this.options.minAccounts ? (observed - expected) ** 2 / expected : 0;
      const old = dirty.has(tag) ? undefined : peaks.get(tag);
      const peak = !old || score > old.score || at - old.at > this.options.peakMaxAgeMs ? { score, at } : old;
      const trend = peak.score * 0.5 ** ((at - peak.at) / this.options.halfLifeMs);
      if (trend < FLOOR) continue;
      nextPeaks.set(tag, peak);
      scores.set(tag, Math.round(trend * 1e4) / 1e4);
    }
    const ranked = [...scores].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, this.options.rankingSize);
    await this.counters.saveRanking(nextPeaks, new Map(ranked));
    await this.hashtags.saveTrends(
      ranked.map(([tag, score]) => ({ tag, score, uses: todayCounts.get(tag)?.uses ?? 0, accounts: todayCounts.get(tag)?.accounts ?? 0 })),
      now,
    );
    return { tags: tags.length, ranked: ranked.length, recounted };
  }

  /** The weekly step (the seed's `needsRecalculation`): flags every tag; the refresh jobs recount them. */
  async markForRecalculation(): Promise<{ flagged: number }> {
    return { flagged: await this.hashtags.flagAll() };
  }

  /**
   * Recounts up to `limit` flagged tags' today and yesterday from the posts themselves
   * (public, live, public accounts) and clears their flags. Each refresh run does a share,
   * so the weekly recount spreads over a few runs instead of one long job.
   */
  async recountFlagged(now: Date, limit = 500): Promise<number> {
    const since = new Date(Date.parse(utcDay(now.getTime() - DAY_MS)));
    const days = [utcDay(now.getTime() - DAY_MS), utcDay(now)];
    const batch = await this.hashtags.flagged(limit);
    for (const tag of batch) {
      const used = await this.posts.publicWithHashtagSince(tag, since);
      const live = used.filter((p) => p.visibility === "public" && !p.isDeleted);
      const publicAuthors = await this.publicAccounts(live.map((p) => p.userId));
      for (const day of days) {
        const uses = live.filter((p) => utcDay(p.createdAt) === day && publicAuthors.has(p.userId)).map((p) => ({ postId: p._id.toHexString(), userId: p.userId }));
        await this.counters.reset(day, tag, uses);
      }
      await this.hashtags.clearFlag(tag);
    }
    return batch.length;
  }

  /** Flags every tag and refreshes until all are recounted (operators, tests). */
  async recalculate(now = new Date()): Promise<{ flagged: number; recounted: number }> {
    const { flagged } = await this.markForRecalculation();
    let recounted = 0;
    for (let n = await this.recountFlagged(now); n > 0; n = await this.recountFlagged(now)) recounted += n;
    await this.refresh(now);
    this.logger.info({ flagged, recounted }, "trends recalculated");
    return { flagged, recounted };
  }

  async trending(limit: number): Promise<TrendingHashtag[]> {
    const top = await this.counters.top(limit);
    const counts = await this.counters.dayCounts(utcDay(new Date()), top.map((t) => t.tag));
    return top.map((t) => ({ tag: t.tag, score: t.score, usesToday: counts.get(t.tag)?.uses ?? 0, accountsToday: counts.get(t.tag)?.accounts ?? 0 }));
  }

  private async countable(post: CountedPost): Promise<boolean> {
    if (post.visibility !== "public") return false;
    return (await this.publicAccounts([post.authorId])).has(post.authorId);
  }

  private async publicAccounts(userIds: readonly string[]): Promise<Set<string>> {
    const profiles = await this.profiles.findMany([...new Set(userIds)]);
    return new Set(profiles.filter((p) => !p.isDeleted && !p.privacy.isPrivate).map((p) => p.userId));
  }
}
