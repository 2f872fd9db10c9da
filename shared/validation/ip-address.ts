import { isIP } from "node:net";

/**
 * The address if it is a plain IPv4 or IPv6 address (what a PostgreSQL `inet`
 * column accepts), else null. Header-supplied values such as `unknown`,
 * `1.2.3.4:80` or `[::1]` never reach the database.
 */
export function ipOrNull(value: string | null | undefined): string | null {
  if (typeof value !== "string" || value.length > 64) return null;
  return isIP(value) === 0 ? null : value;
}
