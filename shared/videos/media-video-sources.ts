import { AppError } from "../errors/app-error.js";
import type { MediaService } from "../media/media.service.js";
import type { VideoSourceInfo, VideoSources } from "./video-ports.js";

/** What videos use of the media service. */
export type VideoMedia = Pick<MediaService, "get" | "readyObjectKey" | "attach" | "detach">;

/** The ref a video's use of its upload is recorded under. */
export const videoRef = (videoId: string): string => `video:${videoId}`;

/**
 * Video sources from the media domain: an upload of purpose `video` owned by
 * the user, its status and probed duration from the media service, its bytes'
 * key only once it is ready.
 */
export class MediaVideoSources implements VideoSources {
  constructor(private readonly media: VideoMedia) {}

  async resolve(userId: string, uploadId: string): Promise<VideoSourceInfo> {
    const upload = await this.media.get(userId, uploadId);
    if (upload.purpose !== "video") throw new AppError("VALIDATION_FAILED", `This upload is for ${upload.purpose}, not video`);
    const { durationSeconds } = upload.metadata;
    switch (upload.status) {
      case "ready":
        return { uploadId, status: "ready", ...(durationSeconds !== undefined ? { durationSeconds } : {}) };
      case "failed":
        return { uploadId, status: "failed", failureReason: upload.failureReason ?? "the file could not be processed" };
      case "expired":
        return { uploadId, status: "failed", failureReason: "the upload expired before its bytes arrived" };
      default:
        return { uploadId, status: "pending" };
    }
  }

  objectKey(userId: string, uploadId: string): Promise<string | null> {
    return this.media.readyObjectKey(userId, uploadId, "video");
  }

  attach(uploadId: string, videoId: string): Promise<void> {
    return this.media.attach(uploadId, videoRef(videoId));
  }

  detach(uploadId: string, videoId: string): Promise<void> {
    return this.media.detach(uploadId, videoRef(videoId));
  }
}
