/** MongoDB's duplicate-key error code, raised by unique indexes. */
const DUPLICATE_KEY = 11000;

/** Whether a driver error is a unique-index violation (E11000). */
export function isDuplicateKeyError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, writeErrors } = error as { code?: unknown; writeErrors?: Array<{ code?: unknown }> };
  if (code === DUPLICATE_KEY) return true;
  return Array.isArray(writeErrors) && writeErrors.some((w) => w.code === DUPLICATE_KEY);
}
