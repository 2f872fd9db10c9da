import type pg from "pg";

const FIRST_ID = "00000000-0000-0000-0000-000000000000";

/**
 * Who an announcement reaches: active accounts, optionally holding a role,
 * read from the identity tables in id order (the primary key), a page at a time.
 */
export class AudienceRepository {
  constructor(private readonly pool: pg.Pool) {}

  async page(afterId: string | undefined, limit: number, role?: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT u.id FROM users u
        WHERE u.status = 'active' AND u.id > $1::uuid
          AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id AND r.name = $3))
        ORDER BY u.id
        LIMIT $2`,
      [afterId ?? FIRST_ID, limit, role ?? null],
    );
    return rows.map((row) => row.id);
  }

  /** Active users with a verified e-mail address, in id order (the digest's recipients). */
  async emailPage(afterId: string | undefined, limit: number): Promise<Array<{ id: string; email: string }>> {
    const { rows } = await this.pool.query<{ id: string; email: string }>(
      `SELECT id, email FROM users
        WHERE status = 'active' AND email IS NOT NULL AND email_verified_at IS NOT NULL AND id > $1::uuid
        ORDER BY id
        LIMIT $2`,
      [afterId ?? FIRST_ID, limit],
    );
    return rows;
  }

  /** Roles straight from PostgreSQL (an access token's copy may be minutes old). */
  async hasRole(userId: string, role: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      "SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = $1 AND r.name = $2",
      [userId, role],
    );
    return (rowCount ?? 0) > 0;
  }
}
