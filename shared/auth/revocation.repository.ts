import type { Redis } from "ioredis";

/** What the cache knows about a session: revoked, known alive, or nothing. */
export type CachedSessionState = "revoked" | "alive" | "unknown";

/** Every key of a user's sessions carries the user's hash tag: a lookup is one command in one slot. */
export const revokedSessionKey = (userId: string, sessionId: string): string => `auth:{u:${userId}}:revoked:${sessionId}`;
export const disabledUserKey = (userId: string): string => `auth:{u:${userId}}:disabled`;
export const aliveSessionKey = (userId: string, sessionId: string): string => `auth:{u:${userId}}:alive:${sessionId}`;

/**
 * Redis cache in front of the session table for the per-request access check
 * (the session cache of the handshake). A session is marked alive when it is
 * issued or refreshed (after the commit) and when PostgreSQL confirmed it, for
 * `aliveTtlSeconds` (the access-token lifetime: no token of the session outlives
 * the mark it was issued with), so a handshake does not read PostgreSQL.
 * Revocation marks win over alive marks and outlive every access token issued
 * before them; revoking writes the mark and deletes the alive mark before the
 * revoking call returns, so a revocation takes effect at once.
 */
export class RevocationRepository {
  constructor(
    private readonly redis: Redis,
    private readonly revokedTtlSeconds: number,
    private readonly aliveTtlSeconds: number,
  ) {}

  /**
   * One round trip: revocation marks win over an alive mark. The alive mark
   * holds the session's user, so a token naming another user for the session
   * is not "alive" (it falls through to PostgreSQL, which refuses it).
   */
  async lookup(sessionId: string, userId: string): Promise<CachedSessionState> {
    const [revoked, disabled, alive] = await this.redis.mget(revokedSessionKey(userId, sessionId), disabledUserKey(userId), aliveSessionKey(userId, sessionId));
    if (revoked !== null || disabled !== null) return "revoked";
    return alive === userId ? "alive" : "unknown";
  }

  /** Marks the session alive for its user (just issued, refreshed, or confirmed by PostgreSQL). */
  async markAlive(sessionId: string, userId: string): Promise<void> {
    await this.redis.set(aliveSessionKey(userId, sessionId), userId, "EX", this.aliveTtlSeconds);
  }

  /** Marks sessions of one user revoked and drops their alive marks (one MULTI in the user's slot). */
  async markSessionsRevoked(userId: string, sessionIds: readonly string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    const pipeline = this.redis.multi();
    for (const id of sessionIds) {
      pipeline.set(revokedSessionKey(userId, id), "1", "EX", this.revokedTtlSeconds);
      pipeline.del(aliveSessionKey(userId, id));
    }
    await pipeline.exec();
  }

  async markUserDisabled(userId: string): Promise<void> {
    await this.redis.set(disabledUserKey(userId), "1", "EX", this.revokedTtlSeconds);
  }

  async clearUserDisabled(userId: string): Promise<void> {
    await this.redis.del(disabledUserKey(userId));
  }

  /** Records a one-time value (e.g. a 2FA challenge id); false when it was already used. */
  async claimOnce(key: string, ttlSeconds: number): Promise<boolean> {
    const result = await this.redis.set(`auth:once:${key}`, "1", "EX", ttlSeconds, "NX");
    return result === "OK";
  }
}
