import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Playback URLs: `/api/videos/{id}/hls/{grant}/{file}`. Players resolve every
 * playlist and segment relative to the master playlist, so the grant — a path
 * segment — covers all of them.
 *
 * - Public videos: the grant is the published version id, a stable URL (it
 *   changes only when a new version is published) that a CDN may cache.
 * - Private and unlisted videos: `{version}.{expiresAt}.{signature}`, an HMAC
 *   over the video id, version and expiry; it stops working at expiry.
 */
export class PlaybackGrants {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac("sha256", secret).update("video-playback-v1").digest();
  }

  private sign(videoId: string, version: string, expiresAt: number): string {
    return createHmac("sha256", this.key).update(`${videoId}\n${version}\n${expiresAt}`).digest("base64url").slice(0, 32);
  }

  /** A signed grant valid until `expiresAt` (epoch seconds). */
  signed(videoId: string, version: string, expiresAt: number): string {
    return `${version}.${expiresAt}.${this.sign(videoId, version, expiresAt)}`;
  }

  /** Reads a grant: the version it names and whether it is a valid, unexpired signature (null when malformed or forged). */
  read(videoId: string, grant: string, nowSeconds = Math.floor(Date.now() / 1000)): { version: string; signed: boolean } | null {
    const parts = grant.split(".");
    if (parts.length === 1) return /^[A-Za-z0-9_-]{8,64}$/.test(grant) ? { version: grant, signed: false } : null;
    if (parts.length !== 3) return null;
    const [version = "", expires = "", signature = ""] = parts;
    const expiresAt = Number(expires);
    if (!/^\d{1,12}$/.test(expires) || expiresAt < nowSeconds) return null;
    const expected = Buffer.from(this.sign(videoId, version, expiresAt));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return { version, signed: true };
  }
}
