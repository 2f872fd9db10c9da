/** The upload a video is made from, as the media domain reports it to its owner. */
export interface VideoSourceInfo {
  uploadId: string;
  /** pending: bytes still arriving; ready: complete and checked; failed/expired: unusable. */
  status: "pending" | "ready" | "failed";
  /** Object key of the bytes in storage. */
  key: string;
  /** Duration the media domain probed, when known (a short outside 15-60 s is refused at creation). */
  durationSeconds?: number;
  failureReason?: string;
}

/**
 * How videos find their source upload. The media module supplies this
 * (owner and purpose `video` checked there); until it is composed in, the
 * stand-in reads `uploads/{userId}/{uploadId}` from storage.
 */
export interface VideoSources {
  /** Throws NOT_FOUND when the upload does not exist or is not the user's video upload. */
  resolve(userId: string, uploadId: string): Promise<VideoSourceInfo>;
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
