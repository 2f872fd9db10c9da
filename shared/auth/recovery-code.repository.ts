import type pg from "pg";
import type { Queryable } from "../db/transactor.js";

/** `two_factor_recovery_codes`: HMAC-hashed, each usable once. */
export class RecoveryCodeRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** Replaces every code of the user with a new set. */
  async replace(client: Queryable, userId: string, codeHashes: readonly Buffer[]): Promise<void> {
    await client.query(`DELETE FROM two_factor_recovery_codes WHERE user_id = $1`, [userId]);
    await client.query(
      `INSERT INTO two_factor_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])`,
      [userId, codeHashes],
    );
  }

  async deleteAll(client: Queryable, userId: string): Promise<void> {
    await client.query(`DELETE FROM two_factor_recovery_codes WHERE user_id = $1`, [userId]);
  }

  /** Spends a code; false when it does not exist or was already used. */
  async consume(userId: string, codeHash: Buffer): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE two_factor_recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`,
      [userId, codeHash],
    );
    return (rowCount ?? 0) > 0;
  }

  async remaining(userId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM two_factor_recovery_codes WHERE user_id = $1 AND used_at IS NULL`,
      [userId],
    );
    return rows[0]?.n ?? 0;
  }
}
