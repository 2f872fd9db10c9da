import type { PlaybackView, VideoDoc, VideoView } from "./video.types.js";

/** The client's view of a video; `playback` only for ready videos the caller may watch. */
export function toVideoView(doc: VideoDoc, playback?: PlaybackView, isOwner = false): VideoView {
  return {
    id: doc._id,
    userId: doc.userId,
    type: doc.type,
    title: doc.title,
    description: doc.description,
    tags: doc.tags,
    ...(doc.location ? { location: doc.location } : {}),
    privacy: doc.privacy,
    status: doc.status,
    ...(isOwner && doc.failureReason ? { failureReason: doc.failureReason } : {}),
    ...(isOwner && doc.processing ? { processing: { stage: doc.processing.stage, percent: doc.processing.percent } } : {}),
    ...(doc.duration !== undefined ? { duration: doc.duration } : {}),
    ...(doc.dimensions ? { dimensions: doc.dimensions } : {}),
    renditions: doc.renditions.map(({ name, width, height, bandwidth }) => ({ name, width, height, bandwidth })),
    ...(playback ? { playback } : {}),
    ...(doc.storyboard && playback?.storyboardUrl
      ? { storyboard: { interval: doc.storyboard.interval, columns: doc.storyboard.columns, rows: doc.storyboard.rows, tileWidth: doc.storyboard.tileWidth, tileHeight: doc.storyboard.tileHeight, count: doc.storyboard.count, url: playback.storyboardUrl } }
      : {}),
    stats: { viewCount: doc.stats.viewCount, likeCount: doc.stats.likeCount, commentCount: doc.stats.commentCount, shareCount: doc.stats.shareCount },
    createdAt: doc.createdAt.toISOString(),
    ...(doc.publishedAt ? { publishedAt: doc.publishedAt.toISOString() } : {}),
  };
}
