import { AppError } from "../errors/app-error.js";

/** A position in a list ordered by (createdAt, id) descending. */
export interface TimeCursor {
  at: number;
  id: string;
}

/** Encodes the last item of a page as the opaque cursor of the next. */
export function encodeTimeCursor(at: Date | number, id: string): string {
  return Buffer.from(`${typeof at === "number" ? at : at.getTime()}.${id}`).toString("base64url");
}

/** Decodes a cursor, or throws VALIDATION_FAILED. */
export function decodeTimeCursor(cursor: string): TimeCursor {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const match = /^(\d{1,15})\.([0-9a-f]{24}|[0-9a-f]{24}:[0-9a-f-]{36})$/.exec(text);
  if (!match) throw new AppError("VALIDATION_FAILED", "Invalid cursor", [{ path: "cursor", message: "malformed" }]);
  return { at: Number(match[1]), id: match[2] as string };
}

/** Drops items at or before the cursor (same time, id not below it) from a page read with `createdAt <= cursor.at`. */
export function afterCursor<T extends { createdAt: Date; _id: { toHexString(): string } }>(items: T[], cursor: TimeCursor | undefined): T[] {
  if (!cursor) return items;
  return items.filter((item) => item.createdAt.getTime() < cursor.at || (item.createdAt.getTime() === cursor.at && item._id.toHexString() < cursor.id));
}
