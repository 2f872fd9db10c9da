import { AppError } from "../errors/app-error.js";
import type { VideoEngagementRepository } from "./video-engagement.repository.js";
import type { VideoEventSink } from "./video-events.port.js";
import type { ViewCounterRepository } from "./view-counter.repository.js";
import type { VideoRepository } from "./video.repository.js";
import type { ViewHeartbeatInput } from "./video.schema.js";
import type { VideoService } from "./video.service.js";
import type { VideoDoc } from "./video.types.js";

/** Seconds watched after which a view counts (shorts: half their length when that is sooner). */
export const VIEW_THRESHOLD_SECONDS = 10;
/** A view is complete when the player reached 90 % of the video. */
export const COMPLETION_FRACTION = 0.9;

export interface VideoStatsView {
  videoId: string;
  viewCount: number;
  watchTimeSeconds: number;
  averageWatchSeconds: number;
  /** Completed views ÷ views, 0-1. */
  completionRate: number;
  likeCount: number;
  commentCount: number;
  shareCount: number;
  trendingScore: number;
}

export interface CommentView {
  id: string;
  videoId: string;
  userId: string;
  text: string;
  createdAt: string;
}

/**
 * Views (heartbeats), watch time, completion, likes, comments and shares, with
 * counters that move exactly once per stored fact.
 */
export class VideoEngagementService {
  constructor(
    private readonly videos: VideoRepository,
    private readonly engagement: VideoEngagementRepository,
    private readonly counter: ViewCounterRepository,
    private readonly videoService: VideoService,
    private readonly events: VideoEventSink & { hasDurable(name: "video.liked" | "video.commented" | "video.shared"): boolean },
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * A playback heartbeat. Anonymous viewers are told apart by their player
   * session; signed-in viewers by their user id (so one per user per hour
   * whatever the device).
   */
  async heartbeat(viewerId: string | undefined, videoId: string, input: ViewHeartbeatInput): Promise<{ counted: boolean; viewCount: number }> {
    const video = await this.videoService.visible(viewerId, videoId);
    if (video.status !== "ready" || !video.duration) throw new AppError("CONFLICT", "The video is not ready");
    const duration = video.duration;
    const threshold = video.type === "short" ? Math.min(VIEW_THRESHOLD_SECONDS, duration / 2) : Math.min(VIEW_THRESHOLD_SECONDS, duration);
    const outcome = await this.counter.heartbeat(videoId, viewerId ? `u:${viewerId}` : `s:${input.sessionId}`, {
      now: this.clock(),
      watchedSeconds: Math.min(input.watchedSeconds, duration),
      thresholdSeconds: threshold,
      positionSeconds: Math.min(input.positionSeconds, duration),
      completeAtSeconds: duration * COMPLETION_FRACTION,
    });
    await this.videos.incrementStats(videoId, {
      viewCount: outcome.viewCounted ? 1 : 0,
      completedViewCount: outcome.completed ? 1 : 0,
      watchTimeSeconds: Math.round(outcome.acceptedSeconds * 1000) / 1000,
    });
    return { counted: outcome.viewCounted, viewCount: video.stats.viewCount + (outcome.viewCounted ? 1 : 0) };
  }

  async like(userId: string, videoId: string): Promise<{ liked: true; likeCount: number }> {
    const video = await this.ready(userId, videoId);
    // The event rides in the like's own insert (only while someone listens), so it is announced exactly when the like is new.
    const outbox = this.events.hasDurable("video.liked") ? [this.events.record("video.liked", { videoId, ownerId: video.userId, userId, title: video.title })] : [];
    const created = await this.engagement.like(videoId, userId, new Date(), outbox);
    if (created) {
      await this.videos.incrementStats(videoId, { likeCount: 1 });
      await this.events.published(outbox.length > 0 ? { collection: "video_likes", filter: { _id: `${videoId}:${userId}`, videoId } } : null, outbox);
    }
    return { liked: true, likeCount: video.stats.likeCount + (created ? 1 : 0) };
  }

  async unlike(userId: string, videoId: string): Promise<{ liked: false; likeCount: number }> {
    const video = await this.videoService.visible(userId, videoId);
    const removed = await this.engagement.unlike(videoId, userId);
    if (removed) await this.videos.incrementStats(videoId, { likeCount: -1 });
    return { liked: false, likeCount: Math.max(0, video.stats.likeCount - (removed ? 1 : 0)) };
  }

  async share(userId: string, videoId: string): Promise<{ shareCount: number }> {
    const video = await this.ready(userId, videoId);
    const outbox = this.events.hasDurable("video.shared") ? [this.events.record("video.shared", { videoId, ownerId: video.userId, userId, title: video.title })] : [];
    const created = await this.engagement.share(videoId, userId, new Date(), outbox);
    if (created) {
      await this.videos.incrementStats(videoId, { shareCount: 1 });
      await this.events.published(outbox.length > 0 ? { collection: "video_shares", filter: { _id: `${videoId}:${userId}`, videoId } } : null, outbox);
    }
    return { shareCount: video.stats.shareCount + (created ? 1 : 0) };
  }

  async comment(userId: string, videoId: string, input: { clientId: string; text: string }): Promise<CommentView> {
    const video = await this.ready(userId, videoId);
    const id = `${userId}:${input.clientId}`;
    const outbox = this.events.hasDurable("video.commented")
      ? [this.events.record("video.commented", { videoId, ownerId: video.userId, userId, commentId: id, title: video.title, preview: input.text.slice(0, 100) })]
      : [];
    const { created, comment } = await this.engagement.addComment({ _id: id, videoId, userId, text: input.text, isDeleted: false, createdAt: new Date(), ...(outbox.length > 0 ? { outbox } : {}) });
    if (comment.videoId !== videoId) throw new AppError("CONFLICT", "This client id was used for another comment");
    if (created) {
      await this.videos.incrementStats(videoId, { commentCount: 1 });
      await this.events.published(outbox.length > 0 ? { collection: "video_comments", filter: { _id: id, videoId } } : null, outbox);
    }
    return toCommentView(comment);
  }

  /** The author or the video's owner may delete a comment. */
  async deleteComment(userId: string, videoId: string, commentId: string): Promise<void> {
    const video = await this.videoService.visible(userId, videoId);
    const comment = await this.engagement.findComment(videoId, commentId);
    if (!comment || comment.videoId !== videoId || comment.isDeleted) throw new AppError("NOT_FOUND", "No such comment");
    if (comment.userId !== userId && video.userId !== userId) throw new AppError("FORBIDDEN", "Only the author or the video's owner may delete a comment");
    if (await this.engagement.deleteComment(videoId, commentId)) await this.videos.incrementStats(videoId, { commentCount: -1 });
  }

  async comments(viewerId: string | undefined, videoId: string, after: Date | undefined, limit: number): Promise<CommentView[]> {
    await this.videoService.visible(viewerId, videoId);
    return (await this.engagement.listComments(videoId, after, limit)).map(toCommentView);
  }

  /** The uploader's figures for one of their videos. */
  async stats(userId: string, videoId: string): Promise<VideoStatsView> {
    const video = await this.videos.findById(videoId);
    if (!video || video.isDeleted || video.userId !== userId) throw new AppError("NOT_FOUND", "No such video");
    const { stats } = video;
    return {
      videoId,
      viewCount: stats.viewCount,
      watchTimeSeconds: Math.round(stats.watchTimeSeconds),
      averageWatchSeconds: stats.viewCount > 0 ? Math.round((stats.watchTimeSeconds / stats.viewCount) * 10) / 10 : 0,
      completionRate: stats.viewCount > 0 ? Math.min(1, stats.completedViewCount / stats.viewCount) : 0,
      likeCount: stats.likeCount,
      commentCount: stats.commentCount,
      shareCount: stats.shareCount,
      trendingScore: video.trendingScore,
    };
  }

  /** Puts like/share/comment counters right from their documents (a process that died between the two writes). */
  async recount(videoId: string): Promise<boolean> {
    const video = await this.videos.findById(videoId);
    if (!video) return false;
    const counts = await this.engagement.counts(videoId);
    let changed = false;
    for (const stat of ["likeCount", "shareCount", "commentCount"] as const) {
      if (video.stats[stat] !== counts[stat]) {
        await this.videos.setStat(videoId, stat, counts[stat]);
        changed = true;
      }
    }
    return changed;
  }

  private async ready(userId: string, videoId: string): Promise<VideoDoc> {
    const video = await this.videoService.visible(userId, videoId);
    if (video.status !== "ready") throw new AppError("CONFLICT", "The video is not ready");
    return video;
  }
}

function toCommentView(doc: { _id: string; videoId: string; userId: string; text: string; createdAt: Date }): CommentView {
  return { id: doc._id, videoId: doc.videoId, userId: doc.userId, text: doc.text, createdAt: doc.createdAt.toISOString() };
}
