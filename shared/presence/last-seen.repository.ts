import type pg from "pg";

/** A presence transition of one user at `at`. */
export interface LastSeenTransition {
  userId: string;
  online: boolean;
  at: Date;
}

/**
 * `users.is_online` and `users.last_seen` in PostgreSQL: written on presence
 * transitions only (never per heartbeat). `last_seen` orders the writes, so a
 * transition that reaches the database late never overwrites a newer one.
 */
export class LastSeenRepository {
  constructor(private readonly pg: pg.Pool) {}

  /** Records a transition at `at`; returns false when a newer one is already stored or the user is gone. */
  async record(userId: string, online: boolean, at: Date): Promise<boolean> {
    const result = await this.pg.query("UPDATE users SET is_online = $2, last_seen = $3 WHERE id = $1 AND last_seen <= $3", [userId, online, at]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Records transitions of distinct users in one statement; returns how many were newer than the stored ones. */
  async recordMany(transitions: readonly LastSeenTransition[]): Promise<number> {
    if (transitions.length === 0) return 0;
    const result = await this.pg.query(
      `UPDATE users AS u SET is_online = t.online, last_seen = t.at
         FROM unnest($1::uuid[], $2::boolean[], $3::timestamptz[]) AS t(id, online, at)
        WHERE u.id = t.id AND u.last_seen <= t.at`,
      [transitions.map((t) => t.userId), transitions.map((t) => t.online), transitions.map((t) => t.at)],
    );
    return result.rowCount ?? 0;
  }

  /** Last-seen times of the given users that exist. */
  async lastSeenOf(userIds: readonly string[]): Promise<Map<string, Date>> {
    if (userIds.length === 0) return new Map();
    const result = await this.pg.query<{ id: string; last_seen: Date }>("SELECT id, last_seen FROM users WHERE id = ANY($1::uuid[])", [userIds]);
    return new Map(result.rows.map((row) => [row.id, row.last_seen]));
  }

  /** A page of users marked online, by id after `afterId` (served by the primary key). */
  async onlinePage(afterId: string | null, limit: number): Promise<string[]> {
    const result = await this.pg.query<{ id: string }>(
      "SELECT id FROM users WHERE is_online AND ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT $2",
      [afterId, limit],
    );
    return result.rows.map((row) => row.id);
  }

  /**
   * Marks users offline that are still marked online although Redis, checked at
   * `checkedAt`, holds no device of theirs (a crash between Redis and here).
   * A user whose online transition was recorded after the check is left alone.
   */
  async markOffline(userIds: readonly string[], checkedAt: Date): Promise<number> {
    if (userIds.length === 0) return 0;
    const result = await this.pg.query("UPDATE users SET is_online = false WHERE id = ANY($1::uuid[]) AND is_online AND last_seen <= $2", [userIds, checkedAt]);
    return result.rowCount ?? 0;
  }
}
