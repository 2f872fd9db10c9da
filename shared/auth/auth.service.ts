import type pg from "pg";
import { AppError } from "../errors/app-error.js";
import type { AccessTokens } from "./access-token.js";
import type { AuditRepository } from "./audit.repository.js";
import type { RegisterInput, LoginInput } from "./auth.schema.js";
import type { EmailVerificationService } from "./email-verification.service.js";
import type { PasswordHasher } from "./password-hasher.js";
import type { PasswordPolicy } from "./password-policy.js";
import { uniqueViolation, withTransaction } from "./pg-transaction.js";
import { normalisePhone } from "./phone-number.js";
import type { ProfileProvisioner } from "./profile-provisioner.js";
import type { ProfileProvisioningRepository } from "./profile-provisioning.repository.js";
import type { Reauthenticator } from "./reauthenticator.js";
import type { RevocationRepository } from "./revocation.repository.js";
import type { IssuedTokens, SessionService } from "./session.service.js";
import type { SecondFactor, TwoFactorService } from "./two-factor.service.js";
import type { UserRepository } from "./user.repository.js";
import { toAccountView, type AccountView, type RequestMeta, type UserRecord } from "./user.types.js";

/** A completed sign-in. */
export interface SignedIn extends IssuedTokens {
  twoFactorRequired: false;
  user: AccountView;
}

/** A correct password on an account with 2FA: the client sends a code with this challenge next. */
export interface TwoFactorChallenge {
  twoFactorRequired: true;
  challengeToken: string;
  expiresIn: number;
}

const CHALLENGE_TTL_SECONDS = 300;

/**
 * Registration and sign-in. Every refusal of a sign-in (unknown account, wrong
 * password, locked or disabled account) is the same error, and each path
 * spends one argon2 verification, so neither body, status nor timing says
 * which accounts exist.
 */
export class AuthService {
  constructor(
    private readonly pool: pg.Pool,
    private readonly users: UserRepository,
    private readonly provisioning: ProfileProvisioningRepository,
    private readonly provisioner: ProfileProvisioner,
    private readonly sessions: SessionService,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly reauth: Reauthenticator,
    private readonly emailVerification: EmailVerificationService,
    private readonly twoFactor: TwoFactorService,
    private readonly tokens: AccessTokens,
    private readonly revocations: RevocationRepository,
    private readonly audit: AuditRepository,
  ) {}

  /** Creates the account with the default role and its profile, and signs it in. */
  async register(input: RegisterInput, meta: RequestMeta): Promise<SignedIn> {
    const phone = input.phone === undefined ? undefined : normalisePhone(input.phone, input.countryCode);
    const fullName = input.fullName.trim();
    this.policy.assertAcceptable(input.password, "password", [input.email ?? "", phone?.e164 ?? "", fullName]);
    const passwordHash = await this.hasher.hash(input.password);
    let user: UserRecord;
    try {
      user = await withTransaction(this.pool, async (client) => {
        const created = await this.users.insert(client, {
          email: input.email ?? null,
          phoneNumber: phone?.e164 ?? null,
          countryCode: phone?.countryCode ?? null,
          fullName,
          passwordHash,
          timezone: input.timezone,
        });
        // Same transaction: the account cannot exist without a record that its profile is owed.
        await this.provisioning.insert(client, created.id, fullName);
        await this.audit.insert({ event: "user.registered", userId: created.id, ip: meta.ip, userAgent: meta.userAgent, metadata: { email: created.email !== null, phone: created.phoneNumber !== null } }, client);
        return created;
      });
    } catch (error) {
      const constraint = uniqueViolation(error);
      if (constraint) {
        const field = constraint.includes("phone") ? "phone" : "email";
        throw new AppError("ALREADY_EXISTS", `An account with this ${field === "phone" ? "phone number" : "e-mail address"} already exists`, [{ path: field, message: "already registered" }]);
      }
      throw error;
    }
    await this.provisioner.afterRegistration(user.id, fullName);
    if (user.email) await this.emailVerification.send(user.id, user.email);
    const tokens = await this.sessions.start(user.id, meta);
    const roles = await this.users.roles(user.id);
    return { twoFactorRequired: false, user: toAccountView(user, roles), ...tokens };
  }

  /** Password sign-in; accounts with 2FA get a challenge instead of tokens. */
  async login(input: LoginInput, meta: RequestMeta): Promise<SignedIn | TwoFactorChallenge> {
    const identifier = input.email ?? normalisePhone(input.phone ?? "", input.countryCode).e164;
    const user = input.email !== undefined ? await this.users.findByEmail(input.email) : await this.users.findByPhone(identifier);
    const refusal = async (reason: string, userId: string | null) => {
      await withTransaction(this.pool, async (client) => {
        await this.audit.recordLoginAttempt({ userId, identifier, ip: meta.ip ?? null, success: false, reason }, client);
        await this.audit.insert({ event: "login.failed", userId, ip: meta.ip, userAgent: meta.userAgent, metadata: { reason } }, client);
      });
      return invalidCredentials();
    };
    if (!user) {
      await this.hasher.verifyDummy(input.password);
      throw await refusal("unknown_account", null);
    }
    if (user.status !== "active" || isLocked(user)) {
      await this.hasher.verifyDummy(input.password);
      throw await refusal(user.status !== "active" ? "disabled" : "locked", user.id);
    }
    const { ok, needsRehash } = await this.hasher.verify(user.passwordHash, input.password);
    if (!ok) {
      const lockedUntil = await this.reauth.recordFailure(user.id);
      const error = await refusal("wrong_password", user.id);
      if (lockedUntil && lockedUntil.getTime() > Date.now()) {
        await this.audit.insert({ event: "account.locked", userId: user.id, ip: meta.ip, metadata: { until: lockedUntil.toISOString() } });
      }
      throw error;
    }
    if (needsRehash) {
      const rehashed = await this.hasher.hash(input.password);
      await withTransaction(this.pool, async (client) => {
        await this.users.updatePasswordHash(user.id, rehashed, false, client);
        await this.audit.insert({ event: "password.rehashed", userId: user.id }, client);
      });
    }
    if (user.totpEnabledAt) {
      // Failures are not reset yet: the password alone must not buy fresh guesses at the code.
      const challenge = await this.tokens.signChallenge(user.id, CHALLENGE_TTL_SECONDS);
      await this.audit.insert({ event: "login.2fa_challenged", userId: user.id, ip: meta.ip, userAgent: meta.userAgent });
      return { twoFactorRequired: true, challengeToken: challenge.token, expiresIn: CHALLENGE_TTL_SECONDS };
    }
    return this.completeSignIn(user, identifier, meta, "password");
  }

  /** Second step of a 2FA sign-in: the challenge and a TOTP or recovery code. */
  async loginSecondFactor(input: SecondFactor & { challengeToken: string }, meta: RequestMeta): Promise<SignedIn> {
    const challenge = await this.tokens.verifyChallenge(input.challengeToken);
    const user = await this.users.findById(challenge.userId);
    const identifier = user?.email ?? user?.phoneNumber ?? challenge.userId;
    if (!user || user.status !== "active" || isLocked(user) || !(await this.twoFactor.verifySecondFactor(user, input))) {
      if (user) await this.reauth.recordFailure(user.id);
      await withTransaction(this.pool, async (client) => {
        await this.audit.recordLoginAttempt({ userId: user?.id ?? null, identifier, ip: meta.ip ?? null, success: false, reason: "second_factor" }, client);
        await this.audit.insert({ event: "login.2fa_failed", userId: challenge.userId, ip: meta.ip, userAgent: meta.userAgent }, client);
      });
      throw invalidCredentials();
    }
    if (!(await this.revocations.claimOnce(`2fa-challenge:${challenge.challengeId}`, CHALLENGE_TTL_SECONDS))) {
      throw new AppError("INVALID_CREDENTIALS", "The sign-in challenge is invalid or has expired; sign in again");
    }
    return this.completeSignIn(user, identifier, meta, input.code !== undefined ? "totp" : "recovery_code");
  }

  private async completeSignIn(user: UserRecord, identifier: string, meta: RequestMeta, method: string): Promise<SignedIn> {
    await this.users.resetLoginFailures(user.id);
    const tokens = await this.sessions.start(user.id, meta, async (client, sessionId) => {
      await this.audit.recordLoginAttempt({ userId: user.id, identifier, ip: meta.ip ?? null, success: true, reason: null }, client);
      await this.audit.insert({ event: "login.succeeded", userId: user.id, sessionId, ip: meta.ip, userAgent: meta.userAgent, metadata: { method } }, client);
    });
    const roles = await this.users.roles(user.id);
    return { twoFactorRequired: false, user: toAccountView(user, roles), ...tokens };
  }
}

function isLocked(user: UserRecord): boolean {
  return user.lockedUntil !== null && user.lockedUntil.getTime() > Date.now();
}

/** The one refusal every failed sign-in gets. */
function invalidCredentials(): AppError {
  return new AppError("INVALID_CREDENTIALS", "The sign-in details are not correct");
}
