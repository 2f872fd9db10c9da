import { createHash, randomBytes } from "node:crypto";

/** 256-bit random tokens, base64url: 43 characters. */
export const OPAQUE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A fresh opaque token (refresh, reset, verification) and the hash that is stored instead of it. */
export function newOpaqueToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: hashOpaqueToken(token) };
}

/** SHA-256 is enough here: the tokens carry 256 bits of entropy, so there is nothing to brute-force. */
export function hashOpaqueToken(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}
