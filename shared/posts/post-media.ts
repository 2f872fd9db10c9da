import { AppError } from "../errors/app-error.js";
import type { MediaService } from "../media/media.service.js";
import type { MediaUrls } from "../media/media.types.js";
import type { MediaAttachments } from "./posts.deps.js";
import { MAX_IMAGES, type PostMedia } from "./post.types.js";

/** What a post uses an upload as (`post:<postId>`): the reference that keeps it from being released. */
export const postMediaRef = (postId: string): string => `post:${postId}`;

/**
 * The media domain's side of post attachments: uploads are the author's,
 * purpose `post`, ready; up to 4 images or 1 video. A public post's media is
 * copied under `public/` (stable CDN URLs); until a copy exists, and for every
 * other audience, viewers get short-lived signed links.
 */
export class PostMediaAttachments implements MediaAttachments {
  constructor(private readonly media: MediaService) {}

  async resolve(ownerId: string, uploadIds: readonly string[]): Promise<PostMedia[]> {
    if (uploadIds.length > MAX_IMAGES) throw new AppError("VALIDATION_FAILED", "A post has up to 4 images or 1 video");
    if (new Set(uploadIds).size !== uploadIds.length) throw new AppError("VALIDATION_FAILED", "The same upload is attached twice");
    const media: PostMedia[] = [];
    for (const uploadId of uploadIds) {
      const upload = await this.media.resolveForOwner(ownerId, uploadId, "post");
      if (upload.kind !== "image" && upload.kind !== "video") throw new AppError("UNSUPPORTED_MEDIA_TYPE", `Upload ${uploadId} is not an image or a video`);
      const item: PostMedia = { uploadId, kind: upload.kind, mimeType: upload.mimeType, size: upload.size };
      if (upload.metadata.width) item.width = upload.metadata.width;
      if (upload.metadata.height) item.height = upload.metadata.height;
      if (upload.metadata.durationSeconds !== undefined) item.durationSeconds = upload.metadata.durationSeconds;
      media.push(item);
    }
    if (media.some((m) => m.kind === "video") && media.length > 1) throw new AppError("VALIDATION_FAILED", "A post has up to 4 images or 1 video");
    return media;
  }

  async attach(postId: string, media: readonly PostMedia[], publicPost: boolean): Promise<void> {
    for (const item of media) await this.media.attach(item.uploadId, postMediaRef(postId));
    if (!publicPost) return;
    // Small copies are made before the post is answered; a large video's by the durable `media.publish` job
    // (viewers get signed links until its copy is there).
    for (const item of media) await this.media.publish(item.uploadId);
  }

  async detach(postId: string, uploadIds: readonly string[]): Promise<void> {
    for (const uploadId of new Set(uploadIds)) await this.media.detach(uploadId, postMediaRef(postId));
  }

  urls(uploadIds: readonly string[], publicAudience: boolean): Promise<Map<string, MediaUrls>> {
    return this.media.urlsFor(uploadIds, { publicAudience });
  }
}
