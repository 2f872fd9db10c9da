import type { Logger } from "../logging/logger.js";
import type { SessionRevokedEvent } from "../realtime/events.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { RevocationRepository } from "./revocation.repository.js";

/** The part of the realtime publisher revocation needs. */
export type SocketControl = Pick<Realtime, "revokeSession" | "disconnectUser">;

/**
 * Keeps the access guard's Redis session cache in step with PostgreSQL. A
 * revocation that PostgreSQL already recorded takes effect at once: the
 * sessions are marked revoked in the cache and their sockets dropped on every
 * gateway (call it after the revoking transaction commits). A session issued or
 * refreshed is marked alive, so the next handshake need not read PostgreSQL.
 */
export class SessionRevoker {
  constructor(
    private readonly revocations: RevocationRepository,
    private readonly sockets: SocketControl,
    private readonly logger: Logger,
  ) {}

  /** Warms the cache after the transaction that issued or refreshed the session committed. */
  async sessionIssued(userId: string, sessionId: string): Promise<void> {
    // Only a cache: the guard reads PostgreSQL when the mark is missing.
    await this.revocations.markAlive(sessionId, userId).catch((error: unknown) => this.logger.warn({ err: error }, "could not warm the session cache"));
  }

  /** Sessions of `userId` were revoked in PostgreSQL. */
  async sessionsRevoked(userId: string, sessionIds: readonly string[], reason: SessionRevokedEvent["reason"]): Promise<void> {
    if (sessionIds.length === 0) return;
    try {
      await this.revocations.markSessionsRevoked(userId, sessionIds);
    } catch (error) {
      // PostgreSQL stays authoritative: the guard's short "alive" cache expires and it re-reads the session.
      this.logger.error({ err: error, sessions: sessionIds.length }, "could not mark sessions revoked in Redis");
    }
    for (const sessionId of sessionIds) this.sockets.revokeSession({ sessionId, reason });
  }

  async userDisabled(userId: string, sessionIds: readonly string[]): Promise<void> {
    await this.revocations.markUserDisabled(userId).catch((error: unknown) =>
      this.logger.error({ err: error, userId }, "could not mark user disabled in Redis"),
    );
    await this.sessionsRevoked(userId, sessionIds, "disabled");
    this.sockets.disconnectUser(userId);
  }

  async userEnabled(userId: string): Promise<void> {
    await this.revocations.clearUserDisabled(userId);
  }
}
