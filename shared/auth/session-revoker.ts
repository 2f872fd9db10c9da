import type { SqlTx } from "../db/transactor.js";
import type { OutboxEntry } from "../events/domain-events.js";
import type { DomainEventBus } from "../events/event-bus.js";
import { insertOutboxRow } from "../events/outbox.repository.js";
import type { Logger } from "../logging/logger.js";
import type { SessionRevokedEvent } from "../realtime/events.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { RevocationRepository } from "./revocation.repository.js";

/** The part of the realtime publisher revocation needs. */
export type SocketControl = Pick<Realtime, "revokeSession" | "disconnectUser">;

/** The part of the event bus revocation needs. */
export type RevocationEvents = Pick<DomainEventBus, "record" | "published" | "hasDurable">;

/** Sessions revoked inside a transaction, with the `auth.session-revoked` entry written in it (null: nothing to announce). */
export interface Revocation {
  userId: string;
  sessionIds: readonly string[];
  reason: SessionRevokedEvent["reason"];
  entry: OutboxEntry<"auth.session-revoked"> | null;
}

/**
 * Makes a revocation take effect everywhere and keeps the access guard's Redis
 * session cache in step with PostgreSQL. Inside the revoking transaction,
 * `record` writes the `auth.session-revoked` event to the PostgreSQL outbox (so
 * what belongs to the sessions, such as push subscriptions, goes even if this
 * process dies right after the commit). After the commit, `sessionsRevoked`
 * marks the sessions revoked in the cache, drops their sockets on every gateway
 * and publishes the event. A session issued or refreshed is marked alive, so
 * the next handshake need not read PostgreSQL.
 */
export class SessionRevoker {
  constructor(
    private readonly revocations: RevocationRepository,
    private readonly sockets: SocketControl,
    private readonly events: RevocationEvents,
    private readonly logger: Logger,
  ) {}

  /** Warms the cache after the transaction that issued or refreshed the session committed. */
  async sessionIssued(userId: string, sessionId: string): Promise<void> {
    // Only a cache: the guard reads PostgreSQL when the mark is missing.
    await this.revocations.markAlive(sessionId, userId).catch((error: unknown) => this.logger.warn({ err: error }, "could not warm the session cache"));
  }

  /** Writes the revocation's event in the transaction `tx` that revoked the sessions. */
  async record(tx: SqlTx, userId: string, sessionIds: readonly string[], reason: SessionRevokedEvent["reason"]): Promise<Revocation> {
    if (sessionIds.length === 0 || !this.events.hasDurable("auth.session-revoked")) return { userId, sessionIds, reason, entry: null };
    const entry = this.events.record("auth.session-revoked", { userId, sessionIds: [...sessionIds], reason });
    await insertOutboxRow(tx, entry);
    return { userId, sessionIds, reason, entry };
  }

  /** Call after the transaction holding `record` committed. */
  async sessionsRevoked(revocation: Revocation): Promise<void> {
    const { userId, sessionIds, reason, entry } = revocation;
    if (sessionIds.length === 0) return;
    try {
      await this.revocations.markSessionsRevoked(userId, sessionIds);
    } catch (error) {
      // The session's alive mark then outlives the revocation until it expires (the access-token lifetime).
      this.logger.error({ err: error, sessions: sessionIds.length }, "could not mark sessions revoked in Redis");
    }
    for (const sessionId of sessionIds) this.sockets.revokeSession({ sessionId, reason });
    // A failed dispatch leaves the row for the outbox sweep.
    if (entry) await this.events.published({ table: "outbox_events" }, [entry]);
  }

  async userDisabled(userId: string, revocation: Revocation): Promise<void> {
    await this.revocations.markUserDisabled(userId).catch((error: unknown) =>
      this.logger.error({ err: error, userId }, "could not mark user disabled in Redis"),
    );
    await this.sessionsRevoked(revocation);
    this.sockets.disconnectUser(userId);
  }

  async userEnabled(userId: string): Promise<void> {
    await this.revocations.clearUserDisabled(userId);
  }
}
