import { AppError } from "../errors/app-error.js";
import type { VideoSourceInfo, VideoSources } from "./video-ports.js";
import type { VideoObjectStorage } from "./video-storage.js";

/**
 * Stand-in for the media domain until it is composed in: an upload id names the
 * object `uploads/{userId}/{uploadId}`, complete when it exists. Only the owner's
 * own namespace is ever looked at.
 */
export class StorageUploadSources implements VideoSources {
  constructor(private readonly storage: VideoObjectStorage) {}

  static keyOf(userId: string, uploadId: string): string {
    return `uploads/${userId}/${uploadId}`;
  }

  async resolve(userId: string, uploadId: string): Promise<VideoSourceInfo> {
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(uploadId)) throw new AppError("NOT_FOUND", "No such upload");
    const key = StorageUploadSources.keyOf(userId, uploadId);
    const head = await this.storage.head(key);
    return { uploadId, key, status: head ? "ready" : "pending" };
  }
}
