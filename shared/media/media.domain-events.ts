import type { MediaPurpose } from "./media.types.js";

/** Domain events of the media domain, for the services that wait on an upload (videos). */
export interface MediaDomainEvents {
  /** An upload passed its checks and is ready to use (written with the `ready` transition). */
  "media.upload-ready": { uploadId: string; ownerId: string; purpose: MediaPurpose };
  /** An upload's bytes were refused or could not be processed (written with the `failed` transition). */
  "media.upload-failed": { uploadId: string; ownerId: string; purpose: MediaPurpose; reason: string };
}
