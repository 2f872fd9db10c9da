import type { Logger } from "../logging/logger.js";
import type { SessionRevokedEvent } from "../realtime/events.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { RevocationRepository } from "./revocation.repository.js";

/** The part of the realtime publisher revocation needs. */
export type SocketControl = Pick<Realtime, "revokeSession" | "disconnectUser">;

/**
 * Makes a revocation that PostgreSQL already recorded take effect at once:
 * marks the sessions revoked in the access guard's Redis cache and drops
 * their sockets on every gateway. Call it after the revoking transaction commits.
 */
export class SessionRevoker {
  constructor(
    private readonly revocations: RevocationRepository,
    private readonly sockets: SocketControl,
    private readonly logger: Logger,
  ) {}

  async sessionsRevoked(sessionIds: readonly string[], reason: SessionRevokedEvent["reason"]): Promise<void> {
    if (sessionIds.length === 0) return;
    try {
      await this.revocations.markSessionsRevoked(sessionIds);
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
    await this.sessionsRevoked(sessionIds, "disabled");
    this.sockets.disconnectUser(userId);
  }

  async userEnabled(userId: string): Promise<void> {
    await this.revocations.clearUserDisabled(userId);
  }
}
