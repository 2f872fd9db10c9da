import type { Config } from "../config/config.js";
import { AppError } from "../errors/app-error.js";
import type { Logger } from "../logging/logger.js";
import type { OutboundMessenger } from "../messaging/outbound-message.js";
import type { RateLimiter } from "../rate-limit/rate-limiter.js";
import { RATE_RULES } from "../rate-limit/rate-rules.js";
import type { Actor } from "./actor.js";
import type { AuditRepository } from "./audit.repository.js";
import { hashOpaqueToken, newOpaqueToken } from "./opaque-token.js";
import type { PasswordHasher } from "./password-hasher.js";
import type { PasswordPolicy } from "./password-policy.js";
import type { Transactor } from "../db/transactor.js";
import { normalisePhone } from "./phone-number.js";
import type { Reauthenticator } from "./reauthenticator.js";
import type { SessionRevoker } from "./session-revoker.js";
import type { SessionRepository } from "./session.repository.js";
import type { UserRepository } from "./user.repository.js";
import type { RequestMeta, UserRecord } from "./user.types.js";
import type { VerificationTokenRepository } from "./verification-token.repository.js";

type PasswordConfig = Pick<Config, "PASSWORD_RESET_TTL_SECONDS" | "PUBLIC_URL">;

/**
 * Forgotten, reset and changed passwords. A reset ends every session of the
 * account; a change ends every session but the one that made it.
 */
export class PasswordService {
  constructor(
    private readonly db: Transactor,
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly tokens: VerificationTokenRepository,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly reauth: Reauthenticator,
    private readonly revoker: SessionRevoker,
    private readonly messenger: OutboundMessenger,
    private readonly limiter: RateLimiter,
    private readonly audit: AuditRepository,
    private readonly logger: Logger,
    private readonly config: PasswordConfig,
  ) {}

  /**
   * Sends a reset link to the address if an active account has it. The answer
   * is the same either way, so the endpoint does not reveal who has an account.
   */
  async forgot(input: { email?: string | undefined; phone?: string | undefined; countryCode?: string | undefined }, meta: RequestMeta): Promise<{ accepted: true }> {
    const target = input.email !== undefined ? { channel: "email" as const, to: input.email } : { channel: "sms" as const, to: normalisePhone(input.phone ?? "", input.countryCode).e164 };
    // Per address, whether or not an account has it, so the limit reveals nothing either.
    await this.limiter.consume(`outbound:${target.to.toLowerCase()}`, RATE_RULES.outboundMessage);
    const user = target.channel === "email" ? await this.users.findByEmail(target.to) : await this.users.findByPhone(target.to);
    if (!user || user.status !== "active") {
      await this.audit.insert({ event: "password.reset_requested", userId: null, ip: meta.ip, userAgent: meta.userAgent, metadata: { known: false } });
      return { accepted: true };
    }
    const { token, hash } = newOpaqueToken();
    await this.db.run(async (client) => {
      await this.tokens.insertResetToken({ userId: user.id, tokenHash: hash, expiresAt: new Date(Date.now() + this.config.PASSWORD_RESET_TTL_SECONDS * 1000), ip: meta.ip ?? null }, client);
      await this.audit.insert({ event: "password.reset_requested", userId: user.id, ip: meta.ip, userAgent: meta.userAgent, metadata: { known: true, channel: target.channel } }, client);
    });
    const link = new URL("/reset-password", this.config.PUBLIC_URL);
    link.searchParams.set("token", token);
    const minutes = Math.round(this.config.PASSWORD_RESET_TTL_SECONDS / 60);
    // Not awaited: a slow SMTP server must not make known addresses answer slower than unknown ones.
    void this.messenger
      .send({
        channel: target.channel,
        to: target.to,
        kind: "password_reset",
        subject: "Reset your password",
        text: target.channel === "sms"
          ? `Your password reset code: ${token} (valid ${minutes} min)`
          : `Reset your password by opening ${link.toString()}\n\nOr enter this code in the app: ${token}\n\nThe link expires in ${minutes} minutes and works once. If you did not ask for it, ignore this message; your password is unchanged.`,
      })
      .catch((error: unknown) => this.logger.error({ err: error, userId: user.id }, "password reset message could not be sent"));
    return { accepted: true };
  }

  /** Sets a new password with a reset token (single use) and ends every session. */
  async reset(input: { token: string; newPassword: string }, meta: RequestMeta): Promise<{ reset: true }> {
    this.policy.assertAcceptable(input.newPassword, "newPassword");
    const passwordHash = await this.hasher.hash(input.newPassword);
    const outcome = await this.db.run(async (client) => {
      const userId = await this.tokens.consumeResetToken(client, hashOpaqueToken(input.token));
      if (!userId) return undefined;
      const user = await this.users.findByIdForUpdate(client, userId);
      if (!user || user.status !== "active") return undefined;
      this.policy.assertAcceptable(input.newPassword, "newPassword", contextOf(user));
      await this.users.updatePasswordHash(userId, passwordHash, true, client);
      await this.tokens.spendAllResetTokens(client, userId);
      const revoked = await this.sessions.revokeAll(userId, "password_reset", null, client);
      await this.audit.insert({ event: "password.reset", userId, ip: meta.ip, userAgent: meta.userAgent, metadata: { sessionsRevoked: revoked.length } }, client);
      return { userId, revoked };
    });
    if (!outcome) throw new AppError("INVALID_TOKEN", "This reset link is invalid, used or expired");
    // Whoever reset by e-mail owns the account: the lockout an attacker caused ends too.
    await this.users.resetLoginFailures(outcome.userId);
    await this.revoker.sessionsRevoked(outcome.userId, outcome.revoked, "password_changed");
    return { reset: true };
  }

  /** Changes the password of the signed-in user, who proves the current one. */
  async change(actor: Actor, input: { currentPassword: string; newPassword: string }, meta: RequestMeta): Promise<{ revokedSessions: number }> {
    const user = await this.users.findById(actor.userId);
    if (!user) throw new AppError("USER_NOT_FOUND", "No such user");
    await this.reauth.confirm(user, input.currentPassword);
    if (input.newPassword === input.currentPassword) {
      throw new AppError("VALIDATION_FAILED", "Invalid input: newPassword: must differ from the current password", [{ path: "newPassword", message: "must differ from the current password" }]);
    }
    this.policy.assertAcceptable(input.newPassword, "newPassword", contextOf(user));
    const passwordHash = await this.hasher.hash(input.newPassword);
    const revoked = await this.db.run(async (client) => {
      await this.users.updatePasswordHash(user.id, passwordHash, true, client);
      const ids = await this.sessions.revokeAll(user.id, "password_changed", actor.sessionId, client);
      await this.audit.insert({ event: "password.changed", userId: user.id, sessionId: actor.sessionId, ip: meta.ip, userAgent: meta.userAgent, metadata: { sessionsRevoked: ids.length } }, client);
      return ids;
    });
    await this.revoker.sessionsRevoked(user.id, revoked, "password_changed");
    return { revokedSessions: revoked.length };
  }
}

function contextOf(user: UserRecord): string[] {
  return [user.email ?? "", user.phoneNumber ?? "", user.fullName];
}
