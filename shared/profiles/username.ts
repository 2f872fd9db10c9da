import { randomInt } from "node:crypto";

const SUFFIX_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";
const MAX_BASE_LENGTH = 24;

/**
 * The username a display name suggests: diacritics stripped, anything but
 * letters, digits and underscores collapsed to one underscore, at most 24
 * characters, padded to 3. Always matches USERNAME_PATTERN.
 */
export function usernameBase(source: string): string {
  const ascii = source.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  let base = ascii
    .replace(/[^A-Za-z0-9_]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, MAX_BASE_LENGTH)
    .replace(/_+$/, "");
  if (base.length === 0) base = "user";
  while (base.length < 3) base += "_";
  return base;
}

/** `base` plus an underscore and a short random suffix; at most 30 characters. */
export function withRandomSuffix(base: string, length = 5): string {
  let suffix = "";
  for (let i = 0; i < length; i++) suffix += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return `${base.slice(0, 30 - length - 1)}_${suffix}`;
}
