import { AppError } from "../errors/app-error.js";

/** A page of a list ordered newest first, with the cursor of the next page (null at the end). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Pagination input every list accepts. */
export interface PageRequest {
  cursor?: string;
  limit: number;
}

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 50;
/** What a cursor looks like on the wire: 12 bytes, base64url. */
export const CURSOR_PATTERN = /^[A-Za-z0-9_-]{16}$/;

/** Encodes a document id (24 hex digits) as an opaque cursor. */
export function encodeCursor(idHex: string): string {
  return Buffer.from(idHex, "hex").toString("base64url");
}

/** Decodes a cursor back to the id it stands for, or throws VALIDATION_FAILED. */
export function decodeCursor(cursor: string): string {
  if (!CURSOR_PATTERN.test(cursor)) throw new AppError("VALIDATION_FAILED", "Invalid cursor", [{ path: "cursor", message: "malformed" }]);
  const hex = Buffer.from(cursor, "base64url").toString("hex");
  if (hex.length !== 24) throw new AppError("VALIDATION_FAILED", "Invalid cursor", [{ path: "cursor", message: "malformed" }]);
  return hex;
}
