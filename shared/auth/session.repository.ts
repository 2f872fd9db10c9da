import type pg from "pg";
import type { Queryable } from "../db/transactor.js";
import { ipOrNull } from "../validation/ip-address.js";

export interface SessionRecord {
  id: string;
  userId: string;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

/** A refresh token row, locked, with the state of its session and user. */
export interface LockedRefreshToken {
  id: string;
  sessionId: string;
  userId: string;
  replacedBy: string | null;
  usedAt: Date | null;
  expiresAt: Date;
  sessionRevokedAt: Date | null;
  sessionExpiresAt: Date;
  userStatus: "active" | "disabled";
  /** Whether the token that replaced this one is still unused (this is its immediate parent). */
  replacementUnused: boolean;
}

/** Whether a session may still be used, as the access guard needs to know. */
export interface SessionState {
  userId: string;
  alive: boolean;
  userDisabled: boolean;
}

interface SessionRow {
  id: string;
  user_id: string;
  ip: string | null;
  user_agent: string | null;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

const toSession = (row: SessionRow): SessionRecord => ({
  id: row.id,
  userId: row.user_id,
  ip: row.ip,
  userAgent: row.user_agent,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
});

/** `user_sessions` and `refresh_tokens`. */
export class SessionRepository {
  constructor(private readonly pool: pg.Pool) {}

  async createSession(client: Queryable, input: { userId: string; ip: string | null; userAgent: string | null; expiresAt: Date }): Promise<string> {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO user_sessions (user_id, ip, user_agent, expires_at) VALUES ($1, $2, $3, $4) RETURNING id`,
      [input.userId, ipOrNull(input.ip), input.userAgent, input.expiresAt],
    );
    return rows[0]!.id;
  }

  async insertRefreshToken(client: Queryable, input: { sessionId: string; userId: string; tokenHash: Buffer; parentId: string | null; expiresAt: Date }): Promise<string> {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO refresh_tokens (session_id, user_id, token_hash, parent_id, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [input.sessionId, input.userId, input.tokenHash, input.parentId, input.expiresAt],
    );
    return rows[0]!.id;
  }

  /**
   * Finds a refresh token by hash and locks it until the transaction ends, so
   * concurrent refreshes of one token run one after another.
   */
  async lockRefreshToken(client: pg.PoolClient, tokenHash: Buffer): Promise<LockedRefreshToken | undefined> {
    const locked = await client.query<{ id: string }>(`SELECT id FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`, [tokenHash]);
    if (!locked.rows[0]) return undefined;
    // A second statement, so that (under READ COMMITTED) it sees what the transaction we
    // waited for committed: the replacement token and the session's state.
    const { rows } = await client.query<{
      id: string; session_id: string; user_id: string; replaced_by: string | null; used_at: Date | null; expires_at: Date;
      session_revoked_at: Date | null; session_expires_at: Date; user_status: "active" | "disabled"; replacement_unused: boolean | null;
    }>(
      `SELECT r.id, r.session_id, r.user_id, r.replaced_by, r.used_at, r.expires_at,
              s.revoked_at AS session_revoked_at, s.expires_at AS session_expires_at, u.status AS user_status,
              (SELECT c.used_at IS NULL FROM refresh_tokens c WHERE c.id = r.replaced_by) AS replacement_unused
         FROM refresh_tokens r
         JOIN user_sessions s ON s.id = r.session_id
         JOIN users u ON u.id = r.user_id
        WHERE r.id = $1`,
      [locked.rows[0].id],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      id: row.id,
      sessionId: row.session_id,
      userId: row.user_id,
      replacedBy: row.replaced_by,
      usedAt: row.used_at,
      expiresAt: row.expires_at,
      sessionRevokedAt: row.session_revoked_at,
      sessionExpiresAt: row.session_expires_at,
      userStatus: row.user_status,
      replacementUnused: row.replacement_unused === true,
    };
  }

  async markRefreshTokenUsed(client: Queryable, id: string, replacedBy: string): Promise<void> {
    await client.query(`UPDATE refresh_tokens SET used_at = now(), replaced_by = $2 WHERE id = $1`, [id, replacedBy]);
  }

  async extendSession(client: Queryable, sessionId: string, expiresAt: Date, ip: string | null): Promise<void> {
    await client.query(
      `UPDATE user_sessions SET last_used_at = now(), expires_at = $2, ip = COALESCE($3, ip) WHERE id = $1`,
      [sessionId, expiresAt, ipOrNull(ip)],
    );
  }

  async findSession(sessionId: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.pool.query<SessionRow>(
      `SELECT id, user_id, host(ip) AS ip, user_agent, created_at, last_used_at, expires_at, revoked_at FROM user_sessions WHERE id = $1`,
      [sessionId],
    );
    return rows[0] && toSession(rows[0]);
  }

  /** Sessions a user can still use, most recently used first. */
  async listActive(userId: string): Promise<SessionRecord[]> {
    const { rows } = await this.pool.query<SessionRow>(
      `SELECT id, user_id, host(ip) AS ip, user_agent, created_at, last_used_at, expires_at, revoked_at
         FROM user_sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
        ORDER BY last_used_at DESC LIMIT 200`,
      [userId],
    );
    return rows.map(toSession);
  }

  /** Revokes one session of a user; returns false when there was no live one. */
  async revoke(userId: string, sessionId: string, reason: string, client: Queryable = this.pool): Promise<boolean> {
    const { rowCount } = await client.query(
      `UPDATE user_sessions SET revoked_at = now(), revoke_reason = $3
        WHERE id = $2 AND user_id = $1 AND revoked_at IS NULL`,
      [userId, sessionId, reason],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Revokes every live session of a user except `keep`; returns the ids revoked. */
  async revokeAll(userId: string, reason: string, keep: string | null, client: Queryable = this.pool): Promise<string[]> {
    const { rows } = await client.query<{ id: string }>(
      `UPDATE user_sessions SET revoked_at = now(), revoke_reason = $2
        WHERE user_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3::uuid)
        RETURNING id`,
      [userId, reason, keep],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Ends up to `limit` sessions that expired by `now` without being revoked
   * (reason `expired`), oldest first; rows another sweep holds are skipped.
   * Served by `idx_user_sessions_expires`.
   */
  async endExpired(now: Date, limit: number, client: Queryable = this.pool): Promise<Array<{ id: string; userId: string }>> {
    const { rows } = await client.query<{ id: string; user_id: string }>(
      `UPDATE user_sessions SET revoked_at = now(), revoke_reason = 'expired'
        WHERE id IN (SELECT id FROM user_sessions WHERE expires_at <= $1 AND revoked_at IS NULL
                      ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING id, user_id`,
      [now, limit],
    );
    return rows.map((row) => ({ id: row.id, userId: row.user_id }));
  }

  /** The live-ness of a session and its user, straight from PostgreSQL. */
  async state(sessionId: string): Promise<SessionState | undefined> {
    const { rows } = await this.pool.query<{ user_id: string; alive: boolean; user_disabled: boolean }>(
      `SELECT s.user_id, (s.revoked_at IS NULL AND s.expires_at > now()) AS alive, (u.status = 'disabled') AS user_disabled
         FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`,
      [sessionId],
    );
    const row = rows[0];
    return row && { userId: row.user_id, alive: row.alive, userDisabled: row.user_disabled };
  }
}
