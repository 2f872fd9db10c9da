import type { MediaStatusEvent } from "./media.types.js";

/** Socket events of the media domain (server to client only). */
export interface MediaServerToClientEvents {
  /** An upload of the receiving user changed status (uploaded, processing, ready, failed, expired). */
  "media:status": (event: MediaStatusEvent) => void;
}
