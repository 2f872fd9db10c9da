import { randomBytes } from "node:crypto";
import type pg from "pg";
import * as OTPAuth from "otpauth";
import QRCode from "qrcode";
import type { Config } from "../config/config.js";
import { AppError } from "../errors/app-error.js";
import type { AccessClaims } from "./access-token.js";
import type { AuditRepository } from "./audit.repository.js";
import { withTransaction } from "./pg-transaction.js";
import type { Reauthenticator } from "./reauthenticator.js";
import type { RecoveryCodeRepository } from "./recovery-code.repository.js";
import type { SecretBox } from "./secret-box.js";
import type { UserRepository } from "./user.repository.js";
import type { RequestMeta, UserRecord } from "./user.types.js";

export const RECOVERY_CODE_COUNT = 10;
const PERIOD_SECONDS = 30;
const BASE32 = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/** What a second factor may be: a current TOTP code or one unused recovery code. */
export interface SecondFactor {
  code?: string | undefined;
  recoveryCode?: string | undefined;
}

/**
 * TOTP two-factor authentication (RFC 6238: SHA-1, 6 digits, 30 s, one step of
 * drift either way) with ten single-use recovery codes. Each accepted code's
 * time step is recorded, so the same code is never accepted twice.
 */
export class TwoFactorService {
  constructor(
    private readonly pool: pg.Pool,
    private readonly users: UserRepository,
    private readonly recoveryCodes: RecoveryCodeRepository,
    private readonly reauth: Reauthenticator,
    private readonly box: SecretBox,
    private readonly audit: AuditRepository,
    private readonly config: Pick<Config, "TOTP_ISSUER">,
  ) {}

  /** Starts enrolment: a new secret, its otpauth:// URI and a QR code of it. Needs the password. */
  async setup(actor: AccessClaims, password: string, meta: RequestMeta): Promise<{ secret: string; otpauthUri: string; qrCodeDataUrl: string }> {
    const user = await this.requireUser(actor.userId);
    if (user.totpEnabledAt) throw new AppError("CONFLICT", "Two-factor authentication is already enabled");
    await this.reauth.confirm(user, password);
    const secret = new OTPAuth.Secret({ size: 20 });
    const totp = this.totp(secret, user.email ?? user.phoneNumber ?? user.id);
    await withTransaction(this.pool, async (client) => {
      await this.users.setPendingTotpSecret(user.id, this.box.encrypt(secret.base32), client);
      await this.audit.insert({ event: "2fa.setup_started", userId: user.id, sessionId: actor.sessionId, ip: meta.ip, userAgent: meta.userAgent }, client);
    });
    const otpauthUri = totp.toString();
    return { secret: secret.base32, otpauthUri, qrCodeDataUrl: await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: "M", margin: 2 }) };
  }

  /** Confirms enrolment with a code from the app; returns the recovery codes (shown once). */
  async enable(actor: AccessClaims, code: string, meta: RequestMeta): Promise<{ recoveryCodes: string[] }> {
    const user = await this.requireUser(actor.userId);
    if (user.totpEnabledAt) throw new AppError("CONFLICT", "Two-factor authentication is already enabled");
    if (!user.totpPendingSecret) throw new AppError("BAD_REQUEST", "Start with POST /api/auth/2fa/setup");
    const sealed = user.totpPendingSecret;
    const step = this.acceptedStep(sealed, code);
    if (step === null) {
      await this.reauth.recordFailure(user.id);
      throw new AppError("INVALID_CODE", "The code is not valid; check the time on your device");
    }
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await withTransaction(this.pool, async (client) => {
      await this.users.enableTotp(client, user.id, sealed, step);
      await this.recoveryCodes.replace(client, user.id, codes.map((c) => this.box.hmac(normaliseRecoveryCode(c))));
      await this.audit.insert({ event: "2fa.enabled", userId: user.id, sessionId: actor.sessionId, ip: meta.ip, userAgent: meta.userAgent }, client);
    });
    return { recoveryCodes: codes };
  }

  /** Turns 2FA off; needs the password and a second factor. */
  async disable(actor: AccessClaims, input: SecondFactor & { password: string }, meta: RequestMeta): Promise<{ disabled: true }> {
    const user = await this.requireUser(actor.userId);
    if (!user.totpEnabledAt) throw new AppError("CONFLICT", "Two-factor authentication is not enabled");
    await this.reauth.confirm(user, input.password);
    if (!(await this.verifySecondFactor(user, input))) {
      await this.reauth.recordFailure(user.id);
      throw new AppError("INVALID_CODE", "The code is not valid");
    }
    await withTransaction(this.pool, async (client) => {
      await this.users.disableTotp(client, user.id);
      await this.recoveryCodes.deleteAll(client, user.id);
      await this.audit.insert({ event: "2fa.disabled", userId: user.id, sessionId: actor.sessionId, ip: meta.ip, userAgent: meta.userAgent }, client);
    });
    return { disabled: true };
  }

  /** Checks a login's second factor, spending it: a TOTP step or a recovery code is accepted once. */
  async verifySecondFactor(user: UserRecord, factor: SecondFactor): Promise<boolean> {
    if (!user.totpSecret) return false;
    if (factor.code !== undefined) {
      const step = this.acceptedStep(user.totpSecret, factor.code);
      return step !== null && (await this.users.claimTotpStep(user.id, step));
    }
    if (factor.recoveryCode !== undefined) {
      return this.recoveryCodes.consume(user.id, this.box.hmac(normaliseRecoveryCode(factor.recoveryCode)));
    }
    return false;
  }

  async remainingRecoveryCodes(userId: string): Promise<number> {
    return this.recoveryCodes.remaining(userId);
  }

  /** The time step the code belongs to, or null when it matches none within the drift window. */
  private acceptedStep(sealedSecret: string, code: string): number | null {
    const secret = OTPAuth.Secret.fromBase32(this.box.decrypt(sealedSecret));
    const now = Date.now();
    const delta = this.totp(secret, "check").validate({ token: code, timestamp: now, window: 1 });
    if (delta === null) return null;
    return Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
  }

  private totp(secret: OTPAuth.Secret, label: string): OTPAuth.TOTP {
    return new OTPAuth.TOTP({ issuer: this.config.TOTP_ISSUER, label, algorithm: "SHA1", digits: 6, period: PERIOD_SECONDS, secret });
  }

  private async requireUser(userId: string): Promise<UserRecord> {
    const user = await this.users.findById(userId);
    if (!user) throw new AppError("USER_NOT_FOUND", "No such user");
    return user;
  }
}

/** `XXXXX-XXXXX` from an alphabet without look-alike characters (50 bits). */
function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  const chars = [...bytes].map((byte) => BASE32[byte % BASE32.length]).join("");
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/** Recovery codes are compared without case, spaces or dashes, as people type them. */
export function normaliseRecoveryCode(code: string): string {
  return code.replace(/[\s-]/g, "").toUpperCase();
}
