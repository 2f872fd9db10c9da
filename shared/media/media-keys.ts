/**
 * Where an upload's objects live. Private media (chat, video sources, files)
 * is only ever served through signed links; public media (avatars, public
 * posts) under `public/`, which gets stable URLs.
 *
 *   private/<ownerId>/<uploadId>/source        bytes of a single-request upload
 *   tus/<uploadId>  (+ .json / .info / .part)  bytes of a resumable upload, and the tus store's bookkeeping
 *   <private|public>/<ownerId>/<uploadId>/...  processed objects (image.<ext>, thumbnail.webp, display.webp, original.<ext>)
 */
export const STORAGE_PREFIXES = ["private/", "public/", "tus/"] as const;

export const singleUploadKey = (ownerId: string, uploadId: string): string => `private/${ownerId}/${uploadId}/source`;
export const tusUploadKey = (uploadId: string): string => `tus/${uploadId}`;
export const outputBase = (visibility: "public" | "private", ownerId: string, uploadId: string): string => `${visibility}/${ownerId}/${uploadId}`;

/** The tus stores' bookkeeping objects beside an upload's bytes. */
export const tusSideKeys = (key: string): string[] => (key.startsWith("tus/") ? [`${key}.json`, `${key}.info`, `${key}.part`] : []);

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const OWNED = new RegExp(`^(?:private|public)/[^/]+/(${UUID})/[^/]+$`);
const TUS = new RegExp(`^tus/(${UUID})(?:\\.(?:json|info|part))?$`);

/** The upload a storage key belongs to by its shape (undefined: no upload's key looks like this). */
export function uploadIdOfKey(key: string): string | undefined {
  return OWNED.exec(key)?.[1] ?? TUS.exec(key)?.[1];
}

/** The upload whose single-request source key this is. */
export function uploadIdOfSourceKey(key: string): string | undefined {
  const match = new RegExp(`^private/[^/]+/(${UUID})/source$`).exec(key);
  return match?.[1];
}
