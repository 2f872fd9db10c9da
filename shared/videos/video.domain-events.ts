import type { VideoPrivacy, VideoType } from "./video.types.js";

/** Domain events of the videos domain. */
export interface VideoDomainEvents {
  /** A video finished processing (ready or failed): the uploader is told ("your video is ready"). */
  "video.processed": { videoId: string; userId: string; status: "ready" | "failed"; failureReason?: string };
  /** A public video became ready (or a ready video was made public for the first time): followers are told. */
  "video.published": { videoId: string; userId: string; type: VideoType; privacy: VideoPrivacy; title: string };
  /** A user liked a video (once per user and video; written with the like). */
  "video.liked": { videoId: string; ownerId: string; userId: string; title: string };
  /** A user commented on a video (written with the comment). */
  "video.commented": { videoId: string; ownerId: string; userId: string; commentId: string; title: string; preview: string };
  /** A user shared a video (once per user and video; written with the share). */
  "video.shared": { videoId: string; ownerId: string; userId: string; title: string };
}
