/** The upload a video is made from, as the media domain reports it to its owner. */
export interface VideoSourceInfo {
  uploadId: string;
  /** pending: bytes still arriving or being checked; ready: complete and checked; failed: unusable (refused or expired). */
  status: "pending" | "ready" | "failed";
  /** Duration the media domain probed, when known (a short outside 15-60 s is refused at creation). */
  durationSeconds?: number;
  failureReason?: string;
}

/**
 * How videos reach their source upload: the media service, which checks the
 * owner and the purpose (`video`). Videos never read the media repository.
 */
export interface VideoSources {
  /** The user's video upload; throws MEDIA_NOT_FOUND (not the user's, or none) or VALIDATION_FAILED (another purpose). */
  resolve(userId: string, uploadId: string): Promise<VideoSourceInfo>;
  /** The object key of the bytes of the user's ready video upload; null when it is not ready or is gone. */
  objectKey(userId: string, uploadId: string): Promise<string | null>;
  /** Records that the video uses the upload (kept while the video exists). */
  attach(uploadId: string, videoId: string): Promise<void>;
  /** The video is deleted: the upload is released (purged after the media retention period). */
  detach(uploadId: string, videoId: string): Promise<void>;
}

/** The transcode job, as the services see it. */
export interface TranscodeJobs {
  /** Enqueues `transcode` for the video; a second call while one exists is a no-op (deterministic job id). */
  enqueue(videoId: string): Promise<void>;
  /** The job's state: waiting/active/delayed/completed/failed, or null when none exists. */
  state(videoId: string): Promise<string | null>;
}

/** Deterministic transcode job id (BullMQ refuses ":" in custom ids, hence "-"). */
export const transcodeJobId = (videoId: string): string => `transcode-${videoId}`;
