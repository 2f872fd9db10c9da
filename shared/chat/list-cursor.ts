import { AppError } from "../errors/app-error.js";

/** A position in a list ordered by time then id, newest first. */
export interface TimeCursor {
  at: Date;
  id: string;
}

/** Encodes a position as an opaque base64url cursor. */
export function encodeTimeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.getTime()}|${id}`, "utf8").toString("base64url");
}

/** Decodes a cursor made by `encodeTimeCursor`, or throws VALIDATION_FAILED. */
export function decodeTimeCursor(cursor: string): TimeCursor {
  const [ms, id, extra] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const time = Number(ms);
  if (extra !== undefined || !id || !/^[0-9a-f-]{36}$/.test(id) || !Number.isSafeInteger(time) || time < 0) {
    throw new AppError("VALIDATION_FAILED", "Invalid cursor", [{ path: "cursor", message: "malformed" }]);
  }
  return { at: new Date(time), id };
}
