import type { Redis } from "ioredis";

/** What the cache knows about a session: revoked, known alive, or nothing. */
export type CachedSessionState = "revoked" | "alive" | "unknown";

const revokedSessionKey = (sessionId: string): string => `auth:{s:${sessionId}}:revoked`;
const disabledUserKey = (userId: string): string => `auth:{u:${userId}}:disabled`;
const aliveSessionKey = (sessionId: string): string => `auth:{s:${sessionId}}:alive`;

/**
 * Redis cache in front of the session table for the per-request access check.
 * Revocation marks outlive every access token issued before them (TTL at least
 * the access-token lifetime); "alive" marks are short, so a revocation whose
 * mark failed to write still takes effect within `aliveTtlSeconds`.
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
    // Three GETs sent together (auto-pipelined): the user's key lives in another slot than the session's.
    const [revoked, disabled, alive] = await Promise.all([this.redis.get(revokedSessionKey(sessionId)), this.redis.get(disabledUserKey(userId)), this.redis.get(aliveSessionKey(sessionId))]);
    if (revoked !== null || disabled !== null) return "revoked";
    return alive === userId ? "alive" : "unknown";
  }

  /** Marks the session alive for its user (the PostgreSQL check just passed). */
  async markAlive(sessionId: string, userId: string): Promise<void> {
    await this.redis.set(aliveSessionKey(sessionId), userId, "EX", this.aliveTtlSeconds);
  }

  async markSessionsRevoked(sessionIds: readonly string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    // One MULTI per session: its two keys share the `{s:<id>}` slot.
    await Promise.all(sessionIds.map((id) => this.redis.multi().set(revokedSessionKey(id), "1", "EX", this.revokedTtlSeconds).del(aliveSessionKey(id)).exec()));
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
