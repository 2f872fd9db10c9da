import { createHash } from "node:crypto";
import { Transform } from "node:stream";

/**
 * A pass-through stream that counts and hashes the bytes going through it and
 * fails with `tooLarge(size)` as soon as they exceed `limit` (no limit when
 * undefined), so the rest of an oversized body is never written.
 */
export function countingHash(algorithm: "md5" | "sha256", limit: number | undefined, tooLarge: (size: number) => Error): { stream: Transform; size(): number; digest(): string } {
  const hash = createHash(algorithm);
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (limit !== undefined && size > limit) return callback(tooLarge(size));
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  return { stream, size: () => size, digest: () => hash.digest("hex") };
}
