/** PostgreSQL's unique_violation (SQLSTATE 23505), with the constraint that fired; undefined for any other error. */
export function uniqueViolation(error: unknown): string | undefined {
  const pgError = error as { code?: string; constraint?: string };
  return pgError.code === "23505" ? (pgError.constraint ?? "unique") : undefined;
}
