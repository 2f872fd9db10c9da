import type { Readable } from "node:stream";

/**
 * The part of the object-storage port (`shared/storage/object-storage.ts`) the
 * videos domain uses. Declared here structurally, so the media module's storage
 * (local filesystem or S3) is passed in unchanged.
 */
export interface VideoObjectStorage {
  putFile(key: string, localPath: string, options: { contentType: string; cacheControl?: string }): Promise<{ size: number; etag: string }>;
  get(key: string, options?: { range?: { start: number; end?: number } }): Promise<{ body: Readable; size: number; contentType: string; etag: string; contentRange?: string }>;
  head(key: string): Promise<{ size: number } | null>;
  /** Deletes every object under `prefix` (ending with `/`). */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * Optional: the local file holding an object, for adapters that have one. The
   * worker then copies the source in the kernel instead of streaming it through
   * JavaScript buffers (a long source would otherwise raise the worker's RSS by
   * tens of MB until the next collection).
   */
  localPath?(key: string): string | null;
}

/** Where a video's objects live: `videos/{videoId}/{version}/...`, one immutable version per successful transcode attempt. */
export const videoPrefix = (videoId: string): string => `videos/${videoId}/`;
export const versionPrefix = (videoId: string, version: string): string => `videos/${videoId}/${version}/`;

const CONTENT_TYPES: Record<string, string> = {
  ".m3u8": "application/vnd.apple.mpegurl",
  ".ts": "video/mp2t",
  ".m4s": "video/iso.segment",
  ".mp4": "video/mp4",
  ".jpg": "image/jpeg",
};

export function contentTypeOf(file: string): string {
  const dot = file.lastIndexOf(".");
  return CONTENT_TYPES[dot >= 0 ? file.slice(dot) : ""] ?? "application/octet-stream";
}
