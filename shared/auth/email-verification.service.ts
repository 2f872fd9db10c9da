import type pg from "pg";
import type { Config } from "../config/config.js";
import { AppError } from "../errors/app-error.js";
import type { Logger } from "../logging/logger.js";
import type { OutboundMessenger } from "../messaging/outbound-message.js";
import type { RateLimiter } from "../rate-limit/rate-limiter.js";
import { RATE_RULES } from "../rate-limit/rate-rules.js";
import type { AccessClaims } from "./access-token.js";
import type { AuditRepository } from "./audit.repository.js";
import { withTransaction } from "./pg-transaction.js";
import { hashOpaqueToken, newOpaqueToken } from "./opaque-token.js";
import type { UserRepository } from "./user.repository.js";
import type { RequestMeta } from "./user.types.js";
import type { VerificationTokenRepository } from "./verification-token.repository.js";

type VerificationConfig = Pick<Config, "EMAIL_VERIFICATION_TTL_SECONDS" | "PUBLIC_URL">;

/** E-mail ownership: a 256-bit single-use link, stored hashed, sent through the outbound port. */
export class EmailVerificationService {
  constructor(
    private readonly pool: pg.Pool,
    private readonly users: UserRepository,
    private readonly tokens: VerificationTokenRepository,
    private readonly audit: AuditRepository,
    private readonly messenger: OutboundMessenger,
    private readonly limiter: RateLimiter,
    private readonly logger: Logger,
    private readonly config: VerificationConfig,
  ) {}

  /** Sends a verification link; a delivery failure is logged, never fatal (the user can resend). */
  async send(userId: string, email: string): Promise<void> {
    const { token, hash } = newOpaqueToken();
    await this.tokens.insertEmailToken({ userId, email, tokenHash: hash, expiresAt: new Date(Date.now() + this.config.EMAIL_VERIFICATION_TTL_SECONDS * 1000) });
    const link = new URL("/verify-email", this.config.PUBLIC_URL);
    link.searchParams.set("token", token);
    const hours = Math.round(this.config.EMAIL_VERIFICATION_TTL_SECONDS / 3600);
    await this.messenger
      .send({
        channel: "email",
        to: email,
        kind: "email_verification",
        subject: "Confirm your e-mail address",
        text: `Confirm your e-mail address by opening ${link.toString()}\n\nOr enter this code in the app: ${token}\n\nThe link expires in ${hours} hour(s). If you did not create an account, ignore this message.`,
      })
      .catch((error: unknown) => this.logger.error({ err: error, userId }, "verification e-mail could not be sent"));
  }

  async verify(token: string, meta: RequestMeta): Promise<{ verified: true }> {
    await withTransaction(this.pool, async (client) => {
      const claimed = await this.tokens.consumeEmailToken(hashOpaqueToken(token), client);
      // The address may have changed since the link was sent; then the link proves nothing.
      if (!claimed || !(await this.users.markEmailVerified(claimed.userId, claimed.email, client))) {
        throw new AppError("INVALID_TOKEN", "This verification link is invalid, used or expired");
      }
      await this.audit.insert({ event: "email.verified", userId: claimed.userId, ip: meta.ip, userAgent: meta.userAgent, metadata: { email: claimed.email } }, client);
    });
    return { verified: true };
  }

  async resend(actor: AccessClaims, meta: RequestMeta): Promise<{ sent: true }> {
    const user = await this.users.findById(actor.userId);
    if (!user?.email) throw new AppError("BAD_REQUEST", "This account has no e-mail address");
    if (user.emailVerifiedAt) throw new AppError("CONFLICT", "This e-mail address is already verified");
    await this.limiter.consume(`outbound:${user.email.toLowerCase()}`, RATE_RULES.outboundMessage);
    // Recorded first: a failing audit write sends nothing.
    await this.audit.insert({ event: "email.verification_sent", userId: user.id, sessionId: actor.sessionId, ip: meta.ip, userAgent: meta.userAgent });
    await this.send(user.id, user.email);
    return { sent: true };
  }
}
