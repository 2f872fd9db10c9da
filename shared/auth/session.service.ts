import type { Config } from "../config/config.js";
import { AppError } from "../errors/app-error.js";
import type { AccessTokens } from "./access-token.js";
import type { Actor } from "./actor.js";
import type { AuditRepository } from "./audit.repository.js";
import { hashOpaqueToken, newOpaqueToken } from "./opaque-token.js";
import type { SqlTx, Transactor } from "../db/transactor.js";
import type { Revocation, SessionRevoker } from "./session-revoker.js";
import type { SessionRecord, SessionRepository } from "./session.repository.js";
import type { UserRepository } from "./user.repository.js";
import type { RequestMeta } from "./user.types.js";

/** The tokens a client receives when a session starts or is refreshed. */
export interface IssuedTokens {
  sessionId: string;
  accessToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  refreshToken: string;
  refreshTokenExpiresAt: string;
}

/** A session as its owner sees it in the list. */
export interface SessionView {
  id: string;
  current: boolean;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
}

type SessionConfig = Pick<Config, "ACCESS_TOKEN_TTL_SECONDS" | "REFRESH_TOKEN_TTL_SECONDS" | "REFRESH_REUSE_GRACE_SECONDS">;

type RefreshOutcome =
  | { kind: "rotated"; tokens: IssuedTokens; userId: string }
  | { kind: "reused"; revocation: Revocation }
  | { kind: "rotated-just-now" }
  | { kind: "invalid" };

/**
 * Sessions and their tokens: short-lived access JWTs carrying the session id,
 * and opaque refresh tokens (stored hashed) that rotate on every use. Presenting
 * a spent refresh token ends the whole session, except the immediate parent of
 * the live token within a short grace window (a client that retried, or raced
 * itself), which is refused without ending anything.
 */
export class SessionService {
  constructor(
    private readonly db: Transactor,
    private readonly sessions: SessionRepository,
    private readonly users: UserRepository,
    private readonly tokens: AccessTokens,
    private readonly revoker: SessionRevoker,
    private readonly audit: AuditRepository,
    private readonly config: SessionConfig,
  ) {}

  /**
   * Starts a session for a user who has just proven who they are; `record`
   * writes the sign-in's audit trail in the same transaction.
   */
  async start(userId: string, meta: RequestMeta, record?: (client: SqlTx, sessionId: string) => Promise<void>): Promise<IssuedTokens> {
    const tokens = await this.db.run(async (client) => {
      const issued = await this.startIn(client, userId, meta);
      await record?.(client, issued.sessionId);
      return issued;
    });
    await this.revoker.sessionIssued(userId, tokens.sessionId);
    return tokens;
  }

  private async startIn(client: SqlTx, userId: string, meta: RequestMeta): Promise<IssuedTokens> {
    const expiresAt = this.refreshExpiry();
    const sessionId = await this.sessions.createSession(client, {
      userId,
      ip: meta.ip ?? null,
      userAgent: meta.userAgent?.slice(0, 512) ?? null,
      expiresAt,
    });
    const refresh = newOpaqueToken();
    await this.sessions.insertRefreshToken(client, { sessionId, userId, tokenHash: refresh.hash, parentId: null, expiresAt });
    const roles = await this.users.roles(userId, client);
    return this.issue(userId, sessionId, roles, refresh.token, expiresAt);
  }

  /** Rotates a refresh token. Parallel refreshes of one token yield exactly one new token. */
  async refresh(refreshToken: string, meta: RequestMeta): Promise<IssuedTokens> {
    const outcome = await this.db.run(async (client): Promise<RefreshOutcome> => {
      // The row lock makes concurrent refreshes of one token wait for each other.
      const row = await this.sessions.lockRefreshToken(client, hashOpaqueToken(refreshToken));
      const now = Date.now();
      if (!row || row.userStatus !== "active" || row.sessionRevokedAt || row.sessionExpiresAt.getTime() <= now || row.expiresAt.getTime() <= now) {
        return { kind: "invalid" };
      }
      if (row.usedAt) {
        const withinGrace = now - row.usedAt.getTime() <= this.config.REFRESH_REUSE_GRACE_SECONDS * 1000;
        if (row.replacementUnused && withinGrace) return { kind: "rotated-just-now" };
        await this.sessions.revoke(row.userId, row.sessionId, "reused", client);
        await this.audit.insert({ event: "refresh_token.reused", userId: row.userId, sessionId: row.sessionId, ip: meta.ip, userAgent: meta.userAgent }, client);
        return { kind: "reused", revocation: await this.revoker.record(client, row.userId, [row.sessionId], "reused") };
      }
      const expiresAt = this.refreshExpiry();
      const next = newOpaqueToken();
      const nextId = await this.sessions.insertRefreshToken(client, { sessionId: row.sessionId, userId: row.userId, tokenHash: next.hash, parentId: row.id, expiresAt });
      await this.sessions.markRefreshTokenUsed(client, row.id, nextId);
      await this.sessions.extendSession(client, row.sessionId, expiresAt, meta.ip ?? null);
      await this.audit.insert({ event: "token.refreshed", userId: row.userId, sessionId: row.sessionId, ip: meta.ip, userAgent: meta.userAgent }, client);
      const roles = await this.users.roles(row.userId, client);
      return { kind: "rotated", userId: row.userId, tokens: await this.issue(row.userId, row.sessionId, roles, next.token, expiresAt) };
    });
    switch (outcome.kind) {
      case "rotated":
        await this.revoker.sessionIssued(outcome.userId, outcome.tokens.sessionId);
        return outcome.tokens;
      case "rotated-just-now":
        throw new AppError("TOKEN_ROTATED", "This refresh token was just rotated; use the token that request returned");
      case "reused":
        await this.revoker.sessionsRevoked(outcome.revocation);
        throw new AppError("UNAUTHENTICATED", "This refresh token was already used; the session has been ended");
      case "invalid":
        throw new AppError("UNAUTHENTICATED", "The refresh token is invalid or has expired");
    }
  }

  /** Ends the caller's own session. */
  async logout(actor: Actor, meta: RequestMeta): Promise<void> {
    // The revocation and its audit record commit together, or neither does.
    const revocation = await this.db.run(async (client) => {
      const revoked = await this.sessions.revoke(actor.userId, actor.sessionId, "logout", client);
      await this.audit.insert({ event: "logout", userId: actor.userId, sessionId: actor.sessionId, ip: meta.ip, userAgent: meta.userAgent }, client);
      return this.revoker.record(client, actor.userId, revoked ? [actor.sessionId] : [], "logout");
    });
    // Dropping the sockets again is harmless when the session had already ended.
    await this.revoker.sessionsRevoked({ ...revocation, sessionIds: [actor.sessionId] });
  }

  /**
   * The daily sweep: sessions that ran out without a logout are ended like a
   * revocation (reason `expired`), so what belongs to them (push subscriptions)
   * goes too. Batches of `batch` sessions, each in one transaction with its
   * users' `auth.session-revoked` events. Answers how many were ended.
   */
  async endExpired(now: Date, batch = 500): Promise<{ ended: number }> {
    let ended = 0;
    for (;;) {
      const revocations = await this.db.run(async (client) => {
        const rows = await this.sessions.endExpired(now, batch, client);
        const byUser = new Map<string, string[]>();
        for (const row of rows) byUser.set(row.userId, [...(byUser.get(row.userId) ?? []), row.id]);
        const recorded: Revocation[] = [];
        for (const [userId, sessionIds] of byUser) recorded.push(await this.revoker.record(client, userId, sessionIds, "expired"));
        return { recorded, count: rows.length };
      });
      for (const revocation of revocations.recorded) await this.revoker.sessionsRevoked(revocation);
      ended += revocations.count;
      if (revocations.count < batch) return { ended };
    }
  }

  async list(actor: Actor): Promise<SessionView[]> {
    const sessions = await this.sessions.listActive(actor.userId);
    return sessions.map((session) => toView(session, actor.sessionId));
  }

  /** Ends one of the caller's sessions; another user's session is "not found", never "forbidden". */
  async revoke(actor: Actor, sessionId: string, meta: RequestMeta): Promise<void> {
    const revocation = await this.db.run(async (client) => {
      const revoked = await this.sessions.revoke(actor.userId, sessionId, "revoked", client);
      if (!revoked) throw new AppError("SESSION_NOT_FOUND", "No such active session");
      await this.audit.insert({ event: "session.revoked", userId: actor.userId, sessionId, actorId: actor.userId, ip: meta.ip, userAgent: meta.userAgent }, client);
      return this.revoker.record(client, actor.userId, [sessionId], sessionId === actor.sessionId ? "logout" : "revoked");
    });
    await this.revoker.sessionsRevoked(revocation);
  }

  /** Ends every session of the caller except the current one. */
  async revokeOthers(actor: Actor, meta: RequestMeta): Promise<{ revoked: number }> {
    const revocation = await this.db.run(async (client) => {
      const revoked = await this.sessions.revokeAll(actor.userId, "revoked", actor.sessionId, client);
      await this.audit.insert({ event: "session.revoked_others", userId: actor.userId, sessionId: actor.sessionId, ip: meta.ip, userAgent: meta.userAgent, metadata: { count: revoked.length } }, client);
      return this.revoker.record(client, actor.userId, revoked, "revoked");
    });
    await this.revoker.sessionsRevoked(revocation);
    return { revoked: revocation.sessionIds.length };
  }

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.config.REFRESH_TOKEN_TTL_SECONDS * 1000);
  }

  private async issue(userId: string, sessionId: string, roles: string[], refreshToken: string, refreshExpiresAt: Date): Promise<IssuedTokens> {
    const accessToken = await this.tokens.sign({ userId, sessionId, roles });
    return {
      sessionId,
      accessToken,
      expiresIn: this.config.ACCESS_TOKEN_TTL_SECONDS,
      refreshToken,
      refreshTokenExpiresAt: refreshExpiresAt.toISOString(),
    };
  }
}

function toView(session: SessionRecord, currentSessionId: string): SessionView {
  return {
    id: session.id,
    current: session.id === currentSessionId,
    ip: session.ip,
    userAgent: session.userAgent,
    createdAt: session.createdAt.toISOString(),
    lastUsedAt: session.lastUsedAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
  };
}
