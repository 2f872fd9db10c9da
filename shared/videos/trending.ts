import type { VideoDoc } from "./video.types.js";

/**
 * The trending score of a short (seed formula):
 *
 *   trendingScore = viewVelocity × 0.4 + completionRate × 0.3 + engagementRate × 0.2 + recencyScore × 0.1
 *
 * Each component is normalised to 0-1 on its own, from the video's own figures
 * (no global maximum), so a score computed incrementally for one video is
 * comparable with one computed in the weekly full pass:
 *
 * - viewVelocity = 1 − e^(−v / 100), v = views per hour since publication
 *   (at least one hour): 100 views/h gives 0.63, 300 views/h 0.95.
 * - completionRate = completed views ÷ views (0 without views).
 * - engagementRate = 1 − e^(−r / 0.1), r = (likes + 2·comments + 3·shares) ÷ views
 *   (0 without views): 10 % engagement per view gives 0.63.
 * - recencyScore = e^(−age / 48 h), age since publication: 1 when new, 0.5 after 33 h.
 */
export const TRENDING_WEIGHTS = { viewVelocity: 0.4, completionRate: 0.3, engagementRate: 0.2, recency: 0.1 } as const;
export const VELOCITY_SCALE_PER_HOUR = 100;
export const ENGAGEMENT_SCALE = 0.1;
export const RECENCY_SCALE_HOURS = 48;

export interface TrendingComponents {
  viewVelocity: number;
  completionRate: number;
  engagementRate: number;
  recency: number;
  score: number;
}

export function trendingComponents(video: Pick<VideoDoc, "stats" | "publishedAt" | "createdAt">, now: Date): TrendingComponents {
  const since = (video.publishedAt ?? video.createdAt).getTime();
  const ageHours = Math.max(0, (now.getTime() - since) / 3600_000);
  const { viewCount, completedViewCount, likeCount, commentCount, shareCount } = video.stats;
  const viewVelocity = 1 - Math.exp(-(viewCount / Math.max(1, ageHours)) / VELOCITY_SCALE_PER_HOUR);
  const completionRate = viewCount > 0 ? Math.min(1, completedViewCount / viewCount) : 0;
  const engagementRate = viewCount > 0 ? 1 - Math.exp(-((likeCount + 2 * commentCount + 3 * shareCount) / viewCount) / ENGAGEMENT_SCALE) : 0;
  const recency = Math.exp(-ageHours / RECENCY_SCALE_HOURS);
  const w = TRENDING_WEIGHTS;
  const score = w.viewVelocity * viewVelocity + w.completionRate * completionRate + w.engagementRate * engagementRate + w.recency * recency;
  return { viewVelocity, completionRate, engagementRate, recency, score: Math.min(1, Math.max(0, Math.round(score * 1e6) / 1e6)) };
}
