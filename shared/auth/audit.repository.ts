import type pg from "pg";
import type { Queryable } from "./pg-transaction.js";
import { ipOrNull } from "../validation/ip-address.js";

/** One line of the security trail. */
export interface AuditEntry {
  event: string;
  userId?: string | null | undefined;
  actorId?: string | null | undefined;
  sessionId?: string | null | undefined;
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export interface AuditRecord {
  id: string;
  event: string;
  userId: string | null;
  actorId: string | null;
  sessionId: string | null;
  ip: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

/** `audit_logs` (append-only) and `login_attempts`. */
export class AuditRepository {
  constructor(private readonly pool: pg.Pool) {}

  async insert(entry: AuditEntry, client: Queryable = this.pool): Promise<void> {
    await client.query(
      `INSERT INTO audit_logs (event, user_id, actor_id, session_id, ip, user_agent, metadata)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        entry.event,
        entry.userId ?? null,
        entry.actorId ?? null,
        entry.sessionId ?? null,
        ipOrNull(entry.ip),
        entry.userAgent?.slice(0, 512) ?? null,
        JSON.stringify(entry.metadata ?? {}),
      ],
    );
  }

  async recordLoginAttempt(input: { userId: string | null; identifier: string; ip: string | null; success: boolean; reason: string | null }, client: Queryable = this.pool): Promise<void> {
    await client.query(
      `INSERT INTO login_attempts (user_id, identifier, ip, success, reason) VALUES ($1, $2, $3, $4, $5)`,
      [input.userId, input.identifier.slice(0, 320), ipOrNull(input.ip), input.success, input.reason],
    );
  }

  /** A user's most recent security events, newest first. */
  async forUser(userId: string, limit: number): Promise<AuditRecord[]> {
    const { rows } = await this.pool.query<{
      id: string; event: string; user_id: string | null; actor_id: string | null; session_id: string | null;
      ip: string | null; metadata: Record<string, unknown>; created_at: Date;
    }>(
      `SELECT id, event, user_id, actor_id, session_id, host(ip) AS ip, metadata, created_at
         FROM audit_logs WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
      [userId, limit],
    );
    return rows.map((row) => ({
      id: String(row.id),
      event: row.event,
      userId: row.user_id,
      actorId: row.actor_id,
      sessionId: row.session_id,
      ip: row.ip,
      metadata: row.metadata,
      createdAt: row.created_at,
    }));
  }
}
