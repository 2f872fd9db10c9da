import type { Logger } from "../logging/logger.js";
import { AppError } from "../errors/app-error.js";
import type { AccessTokens, VerifiedAccess } from "./access-token.js";
import type { RevocationRepository } from "./revocation.repository.js";
import type { SessionRepository } from "./session.repository.js";

/**
 * Turns a bearer token into the acting user: a valid JWT whose session is
 * still alive and whose user is not disabled. One Redis round trip on the
 * usual path (the session is marked alive when issued or refreshed);
 * PostgreSQL only when the cache knows nothing or Redis is down.
 */
export class SessionAccessGuard {
  constructor(
    private readonly tokens: AccessTokens,
    private readonly revocations: RevocationRepository,
    private readonly sessions: SessionRepository,
    private readonly logger: Logger,
  ) {}

  async authenticate(token: unknown): Promise<VerifiedAccess> {
    const claims = await this.tokens.verify(token);
    let cached: "revoked" | "alive" | "unknown" = "unknown";
    try {
      cached = await this.revocations.lookup(claims.sessionId, claims.userId);
    } catch (error) {
      this.logger.warn({ err: error }, "revocation cache unavailable; checking the session in PostgreSQL");
    }
    if (cached === "revoked") throw revoked();
    if (cached === "alive") return claims;
    const state = await this.sessions.state(claims.sessionId);
    // A token naming another user for this session is refused without touching the real owner's session.
    if (state && state.userId !== claims.userId) throw revoked();
    if (!state || !state.alive || state.userDisabled) {
      await this.revocations.markSessionsRevoked(claims.userId, [claims.sessionId]).catch(() => undefined);
      throw revoked();
    }
    await this.revocations.markAlive(claims.sessionId, claims.userId).catch(() => undefined);
    return claims;
  }
}

function revoked(): AppError {
  return new AppError("SESSION_REVOKED", "This session has ended; sign in again");
}
