import type pg from "pg";
import type { Queryable } from "../db/transactor.js";

export interface PendingProfile {
  userId: string;
  displayName: string;
  attempts: number;
}

/** `profile_provisioning`: accounts whose MongoDB profile is not written yet. */
export class ProfileProvisioningRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** Run in the registration transaction, so the account never exists without this row or its profile. */
  async insert(client: Queryable, userId: string, displayName: string): Promise<void> {
    await client.query(
      `INSERT INTO profile_provisioning (user_id, display_name) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING`,
      [userId, displayName],
    );
  }

  async find(userId: string): Promise<PendingProfile | undefined> {
    const { rows } = await this.pool.query<{ user_id: string; display_name: string; attempts: number }>(
      `SELECT user_id, display_name, attempts FROM profile_provisioning WHERE user_id = $1`,
      [userId],
    );
    const row = rows[0];
    return row && { userId: row.user_id, displayName: row.display_name, attempts: row.attempts };
  }

  /** Oldest pending rows created before `olderThan` (the immediate attempt gets a head start). */
  async pending(olderThan: Date, limit: number): Promise<PendingProfile[]> {
    const { rows } = await this.pool.query<{ user_id: string; display_name: string; attempts: number }>(
      `SELECT user_id, display_name, attempts FROM profile_provisioning
        WHERE created_at < $1 ORDER BY created_at LIMIT $2`,
      [olderThan, limit],
    );
    return rows.map((row) => ({ userId: row.user_id, displayName: row.display_name, attempts: row.attempts }));
  }

  async complete(userId: string): Promise<void> {
    await this.pool.query(`DELETE FROM profile_provisioning WHERE user_id = $1`, [userId]);
  }

  async recordFailure(userId: string, error: string): Promise<void> {
    await this.pool.query(
      `UPDATE profile_provisioning SET attempts = attempts + 1, last_error = $2 WHERE user_id = $1`,
      [userId, error.slice(0, 1000)],
    );
  }
}
