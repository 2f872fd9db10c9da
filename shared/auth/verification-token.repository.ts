import type pg from "pg";
import type { Queryable } from "./pg-transaction.js";
import { ipOrNull } from "../validation/ip-address.js";

/**
 * Single-use, expiring, hashed tokens: `email_verification_tokens` and
 * `password_reset_tokens`. Consuming is one UPDATE, so a token works once
 * even when presented twice at the same moment.
 */
export class VerificationTokenRepository {
  constructor(private readonly pool: pg.Pool) {}

  async insertEmailToken(input: { userId: string; email: string; tokenHash: Buffer; expiresAt: Date }, client: Queryable = this.pool): Promise<void> {
    await client.query(
      `INSERT INTO email_verification_tokens (user_id, email, token_hash, expires_at) VALUES ($1, $2, $3, $4)`,
      [input.userId, input.email, input.tokenHash, input.expiresAt],
    );
  }

  async consumeEmailToken(tokenHash: Buffer, client: Queryable = this.pool): Promise<{ userId: string; email: string } | undefined> {
    const { rows } = await client.query<{ user_id: string; email: string }>(
      `UPDATE email_verification_tokens SET used_at = now()
        WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
        RETURNING user_id, email::text AS email`,
      [tokenHash],
    );
    return rows[0] && { userId: rows[0].user_id, email: rows[0].email };
  }

  async insertResetToken(input: { userId: string; tokenHash: Buffer; expiresAt: Date; ip: string | null }, client: Queryable = this.pool): Promise<void> {
    await client.query(
      `INSERT INTO password_reset_tokens (user_id, token_hash, expires_at, ip) VALUES ($1, $2, $3, $4)`,
      [input.userId, input.tokenHash, input.expiresAt, ipOrNull(input.ip)],
    );
  }

  async consumeResetToken(client: Queryable, tokenHash: Buffer): Promise<string | undefined> {
    const { rows } = await client.query<{ user_id: string }>(
      `UPDATE password_reset_tokens SET used_at = now()
        WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
        RETURNING user_id`,
      [tokenHash],
    );
    return rows[0]?.user_id;
  }

  /** After a successful reset, every other outstanding reset link of the user dies too. */
  async spendAllResetTokens(client: Queryable, userId: string): Promise<void> {
    await client.query(`UPDATE password_reset_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, [userId]);
  }

  /** Expired-token clean-up, in the database: returns how many rows of each kind it removed. */
  async cleanupExpired(now: Date): Promise<Record<string, number>> {
    const { rows } = await this.pool.query<Record<string, number>>(`SELECT * FROM auth_cleanup_expired_tokens($1)`, [now]);
    return { ...(rows[0] ?? {}) };
  }
}
