/** What an upload is for: decides the accepted types, the size limits and who may see it. */
export const MEDIA_PURPOSES = ["avatar", "chat", "post", "video", "file"] as const;
export type MediaPurpose = (typeof MEDIA_PURPOSES)[number];

export const MEDIA_STATUSES = ["pending", "uploaded", "processing", "ready", "failed", "expired"] as const;
export type MediaStatus = (typeof MEDIA_STATUSES)[number];

export type MediaKind = "image" | "video" | "audio" | "file";

/** Stored renditions of an image. */
export type VariantName = "thumbnail" | "display";

export interface MediaVariant {
  key: string;
  mimeType: string;
  width: number;
  height: number;
  size: number;
}

export interface MediaMetadata {
  width?: number;
  height?: number;
  durationSeconds?: number;
  videoCodec?: string;
  audioCodec?: string;
  /** sha256 of the stored object, hex. */
  checksum?: string;
}

/** What the uploader (and the services that use an upload) see of it. */
export interface MediaUploadView {
  id: string;
  ownerId: string;
  purpose: MediaPurpose;
  status: MediaStatus;
  kind: MediaKind;
  mimeType: string;
  size: number;
  fileName?: string;
  metadata: MediaMetadata;
  variants: VariantName[];
  failureReason?: string;
  expiresAt?: string;
  createdAt: string;
  updatedAt: string;
}

/** How to send the bytes of a new upload. */
export interface UploadTarget {
  upload: MediaUploadView;
  /** Single-request upload: PUT the bytes to `url` with exactly these headers. */
  put?: { url: string; method: "PUT"; headers: Record<string, string>; expiresAt: string };
  /** Resumable upload (tus 1.0): create at `endpoint` with this metadata, then PATCH from the offset HEAD reports. */
  tus?: { endpoint: string; metadata: Record<string, string>; expiresAt: string };
}

/** URLs of ready media: stable for public media, short-lived signed links for private media. */
export interface MediaUrls {
  mediaId: string;
  url: string;
  thumbnailUrl?: string;
  displayUrl?: string;
  /** Set for signed links. */
  expiresAt?: string;
}

/** Pushed to every device of the uploader as `media:status` at each status change. */
export interface MediaStatusEvent {
  id: string;
  status: MediaStatus;
  purpose: MediaPurpose;
  failureReason?: string;
  metadata?: MediaMetadata;
}
