import type { PostStats } from "./post.types.js";

/** Weights of the engagement sum: a share says more than a comment, a comment more than a reaction. */
export const ENGAGEMENT_WEIGHTS = { reaction: 1, comment: 2, share: 3 } as const;

/**
 * Seconds of recency worth one order of magnitude of engagement: a post 12.5 hours
 * younger ranks level with one ten times as engaging (Reddit's "hot" constant).
 */
export const DECAY_SECONDS_PER_DECADE = 45_000;
/** The origin of the time term, so scores stay small numbers. */
const EPOCH_SECONDS = Date.UTC(2024, 0, 1) / 1000;

/** reactions × 1 + comments × 2 + shares × 3 (views are not counted: they are cheap to inflate). */
export function engagementOf(stats: Pick<PostStats, "reactionCount" | "comments" | "shares">): number {
  return stats.reactionCount * ENGAGEMENT_WEIGHTS.reaction + stats.comments * ENGAGEMENT_WEIGHTS.comment + stats.shares * ENGAGEMENT_WEIGHTS.share;
}

/**
 * The stored, indexed trending score:
 *
 *   engagementScore = log10(1 + engagement) + (createdAt − 2024-01-01) / 45,000 s
 *
 * The time term is fixed at creation, so sorting by the stored score ranks posts
 * with time decay without ever rewriting old posts: a post's score only moves when
 * its engagement does, and a newer post needs 10× less engagement per 12.5 hours.
 */
export function engagementScore(engagement: number, createdAt: Date): number {
  const seconds = createdAt.getTime() / 1000 - EPOCH_SECONDS;
  return Math.round((Math.log10(1 + Math.max(0, engagement)) + seconds / DECAY_SECONDS_PER_DECADE) * 1e6) / 1e6;
}
