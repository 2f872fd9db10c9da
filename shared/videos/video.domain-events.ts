import type { VideoPrivacy, VideoType } from "./video.types.js";

/** Domain events of the videos domain. */
export interface VideoDomainEvents {
  /** A video finished processing (ready or failed): the uploader is told ("your video is ready"). */
  "video.processed": { videoId: string; userId: string; status: "ready" | "failed"; failureReason?: string };
  /** A ready video became visible to others (public or unlisted): followers are told. */
  "video.published": { videoId: string; userId: string; type: VideoType; privacy: VideoPrivacy; title: string };
}
