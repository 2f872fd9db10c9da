import type { VideoProgressEvent, VideoStatusEvent } from "./video.types.js";

/** Socket events of the videos domain (server to client only). */
export interface VideoServerToClientEvents {
  /** Processing progress of one of the receiving user's videos, at least once a second while it runs. */
  "video:progress": (event: VideoProgressEvent) => void;
  /** One of the receiving user's videos changed status (processing, ready, failed). */
  "video:status": (event: VideoStatusEvent) => void;
}
