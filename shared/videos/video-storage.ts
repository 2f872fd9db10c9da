import type { ObjectStorage } from "../storage/object-storage.js";

/**
 * The part of the object-storage port (`shared/storage/object-storage.ts`) the
 * videos domain uses: the same storage as media (local filesystem or S3).
 */
export type VideoObjectStorage = Pick<ObjectStorage, "putFile" | "get" | "deletePrefix"> & {
  /**
   * The local adapter's file of an object. When the adapter has one, the
   * transcoder reads the source in place (no copy); otherwise it downloads it
   * to its work directory first.
   */
  filePath?(key: string): string;
};

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
