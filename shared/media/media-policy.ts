import type { Config } from "../config/config.js";
import type { MediaKind, MediaPurpose } from "./media.types.js";

/** Every type the product accepts, by kind (seed: JPEG/PNG/GIF/WebP, MP4/MOV/AVI, MP3/WAV/M4A, PDF/DOC...). */
export const ACCEPTED_TYPES: Record<MediaKind, readonly string[]> = {
  image: ["image/jpeg", "image/png", "image/gif", "image/webp"],
  video: ["video/mp4", "video/quicktime", "video/x-msvideo", "video/webm"],
  audio: ["audio/mpeg", "audio/wav", "audio/mp4", "audio/ogg", "audio/webm"],
  file: [
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/zip",
    "text/plain",
  ],
};

/** Names the same type goes by: declared (left) and what `file-type` reports for it. */
const ALIASES: Record<string, string> = {
  "image/jpg": "image/jpeg",
  "video/avi": "video/x-msvideo",
  "video/vnd.avi": "video/x-msvideo",
  "video/msvideo": "video/x-msvideo",
  "audio/mp3": "audio/mpeg",
  "audio/x-wav": "audio/wav",
  "audio/wave": "audio/wav",
  "audio/vnd.wave": "audio/wav",
  "audio/x-m4a": "audio/mp4",
  "audio/m4a": "audio/mp4",
  "audio/opus": "audio/ogg",
  // Legacy Office files are OLE compound files; file-type cannot tell DOC from XLS from PPT.
  "application/x-cfb": "application/x-cfb",
};

const CFB_TYPES = new Set(["application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"]);

/** The canonical name of a MIME type. */
export function canonicalType(mime: string): string {
  const lower = mime.trim().toLowerCase();
  return ALIASES[lower] ?? lower;
}

export function kindOf(mime: string): MediaKind | undefined {
  const type = canonicalType(mime);
  for (const kind of ["image", "video", "audio", "file"] as const) if (ACCEPTED_TYPES[kind].includes(type)) return kind;
  return undefined;
}

/** Which kinds each purpose takes. */
export const PURPOSE_KINDS: Record<MediaPurpose, readonly MediaKind[]> = {
  avatar: ["image"],
  chat: ["image", "video", "audio", "file"],
  post: ["image", "video"],
  video: ["video"],
  file: ["file", "image", "audio", "video"],
};

/**
 * Public purposes are processed under `public/` and get stable URLs; the others
 * only signed links. Post media is private until a public post uses it: then
 * `MediaService.publish` copies it under `public/` (a followers-only post's
 * media never gets a stable URL).
 */
export const PUBLIC_PURPOSES: ReadonlySet<MediaPurpose> = new Set(["avatar"]);

export function maxBytes(config: Config, kind: MediaKind, purpose: MediaPurpose): number {
  if (purpose === "avatar") return Math.min(config.MEDIA_MAX_IMAGE_BYTES, 10 * 1024 * 1024);
  switch (kind) {
    case "image":
      return config.MEDIA_MAX_IMAGE_BYTES;
    case "audio":
      return config.MEDIA_MAX_AUDIO_BYTES;
    case "video":
      return config.MEDIA_MAX_VIDEO_BYTES;
    case "file":
      return config.MEDIA_MAX_FILE_BYTES;
  }
}

/**
 * Whether the type sniffed from the bytes is the declared one. A legacy Office
 * document sniffs as a compound file; plain text has no magic bytes at all
 * (`undefined`, and the text check decides).
 */
export function sniffMatches(declared: string, sniffed: string | undefined): boolean {
  const want = canonicalType(declared);
  if (sniffed === undefined) return want === "text/plain";
  const got = canonicalType(sniffed);
  if (got === want) return true;
  if (got === "application/x-cfb") return CFB_TYPES.has(want);
  return false;
}

export const EXTENSIONS: Record<string, string> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/gif": "gif",
  "image/webp": "webp",
  "video/mp4": "mp4",
  "video/quicktime": "mov",
  "video/x-msvideo": "avi",
  "video/webm": "webm",
  "audio/mpeg": "mp3",
  "audio/wav": "wav",
  "audio/mp4": "m4a",
  "audio/ogg": "ogg",
  "audio/webm": "weba",
  "application/pdf": "pdf",
  "application/msword": "doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.ms-excel": "xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  "application/vnd.ms-powerpoint": "ppt",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
  "application/zip": "zip",
  "text/plain": "txt",
};
