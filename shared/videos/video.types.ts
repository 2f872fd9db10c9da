/** Long-form videos and shorts (15-60 s). */
export const VIDEO_TYPES = ["long", "short"] as const;
export type VideoType = (typeof VIDEO_TYPES)[number];

export const VIDEO_PRIVACY = ["public", "unlisted", "private"] as const;
export type VideoPrivacy = (typeof VIDEO_PRIVACY)[number];

/** uploading → uploaded → processing → ready | failed (seed). */
export const VIDEO_STATUSES = ["uploading", "uploaded", "processing", "ready", "failed"] as const;
export type VideoStatus = (typeof VIDEO_STATUSES)[number];

export const SHORT_MIN_SECONDS = 15;
export const SHORT_MAX_SECONDS = 60;
export const MAX_TITLE_LENGTH = 150;
export const MAX_DESCRIPTION_LENGTH = 5000;
export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 40;

export interface VideoLocation {
  name: string;
  latitude?: number;
  longitude?: number;
}

export interface VideoStats {
  viewCount: number;
  likeCount: number;
  commentCount: number;
  shareCount: number;
  /** Seconds watched, all viewers. */
  watchTimeSeconds: number;
  /** Views that reached 90 % of the video. */
  completedViewCount: number;
}

export interface RenditionInfo {
  name: string;
  width: number;
  height: number;
  bandwidth: number;
  averageBandwidth: number;
  codecs: string;
  segments: number;
}

export interface Storyboard {
  key: string;
  interval: number;
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  count: number;
}

/** The stored document (collection `videos`, sharded by `userId`). */
export interface VideoDoc {
  _id: string;
  userId: string;
  type: VideoType;
  title: string;
  description: string;
  tags: string[];
  location?: VideoLocation;
  privacy: VideoPrivacy;
  status: VideoStatus;
  /** The media upload (purpose `video`) the video is made from. */
  source: { uploadId: string };
  /** When the upload became ready and the video `uploaded` (start of the transcode's wait). */
  uploadedAt?: Date;
  failureReason?: string;
  /** The attempt now transcoding: only the holder of this token may publish. */
  processing?: { attemptId: string; stage: string; percent: number; startedAt: Date; heartbeatAt: Date };
  /** The published version: every playback key lives under `videos/{_id}/{version}/`. */
  version?: string;
  renditions: RenditionInfo[];
  posterKey?: string;
  storyboard?: Storyboard;
  duration?: number;
  dimensions?: { width: number; height: number };
  stats: VideoStats;
  trendingScore: number;
  needsTrendingUpdate: boolean;
  isDeleted: boolean;
  deletedAt?: Date;
  publishedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface PlaybackView {
  /** The master playlist; every playlist and segment is reachable relative to it. */
  masterUrl: string;
  posterUrl: string;
  storyboardUrl?: string;
  /** Set when the URLs are signed (private and unlisted videos). */
  expiresAt?: string;
}

/** What clients see of a video. */
export interface VideoView {
  id: string;
  userId: string;
  type: VideoType;
  title: string;
  description: string;
  tags: string[];
  location?: VideoLocation;
  privacy: VideoPrivacy;
  status: VideoStatus;
  failureReason?: string;
  processing?: { stage: string; percent: number };
  duration?: number;
  dimensions?: { width: number; height: number };
  renditions: Array<Pick<RenditionInfo, "name" | "width" | "height" | "bandwidth">>;
  playback?: PlaybackView;
  storyboard?: Omit<Storyboard, "key"> & { url?: string };
  stats: Pick<VideoStats, "viewCount" | "likeCount" | "commentCount" | "shareCount">;
  createdAt: string;
  publishedAt?: string;
}

/** Pushed to the uploader's devices as `video:progress`, at least once a second while processing. */
export interface VideoProgressEvent {
  videoId: string;
  percent: number;
  stage: "queued" | "probing" | "transcoding" | "validating" | "publishing";
}

/** Pushed to the uploader's devices as `video:status` at each status change. */
export interface VideoStatusEvent {
  videoId: string;
  status: VideoStatus;
  failureReason?: string;
}
