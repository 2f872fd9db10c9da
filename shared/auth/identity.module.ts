import type { MaintenanceTask } from "../maintenance/maintenance.service.js";
import { createOutboundMessenger } from "../messaging/outbound-factory.js";
import type { DevOutbox } from "../messaging/dev-outbox.js";
import type { OutboundMessenger } from "../messaging/outbound-message.js";
import type { RateLimiter } from "../rate-limit/rate-limiter.js";
import type { Config } from "../config/config.js";
import type { Redis } from "../db/redis.js";
import type { Logger } from "../logging/logger.js";
import type { JobQueue } from "../queues/job-queue.js";
import type { JobHandlers } from "../queues/jobs.js";
import type pg from "pg";
import type { AccessTokens } from "./access-token.js";
import { AccountService } from "./account.service.js";
import { AdminService } from "./admin.service.js";
import { AuditRepository } from "./audit.repository.js";
import { AuthService } from "./auth.service.js";
import { EmailVerificationService } from "./email-verification.service.js";
import { PasswordHasher } from "./password-hasher.js";
import { PasswordPolicy } from "./password-policy.js";
import { PasswordService } from "./password.service.js";
import { ProfileProvisioner, type ProfileWriter } from "./profile-provisioner.js";
import { ProfileProvisioningRepository } from "./profile-provisioning.repository.js";
import { Reauthenticator } from "./reauthenticator.js";
import { RecoveryCodeRepository } from "./recovery-code.repository.js";
import { RevocationRepository } from "./revocation.repository.js";
import { SecretBox } from "./secret-box.js";
import { SessionAccessGuard } from "./session-access-guard.js";
import { SessionRevoker, type RevocationEvents, type SocketControl } from "./session-revoker.js";
import { SessionRepository } from "./session.repository.js";
import { SessionService } from "./session.service.js";
import { TwoFactorService } from "./two-factor.service.js";
import type { Transactor } from "../db/transactor.js";
import { UserRepository } from "./user.repository.js";
import { VerificationTokenRepository } from "./verification-token.repository.js";

/** Every identity service, as the composition root exposes them. */
export interface AuthServices {
  /** Register, sign in (with the 2FA step). */
  auth: AuthService;
  /** Refresh, logout, list and revoke sessions. */
  sessions: SessionService;
  /** The signed-in user's own account (`/api/me`). */
  users: AccountService;
  passwords: PasswordService;
  emailVerification: EmailVerificationService;
  twoFactor: TwoFactorService;
  admin: AdminService;
  /** Session-aware bearer-token check (JWT + live session + active user). */
  accessGuard: SessionAccessGuard;
  profileProvisioner: ProfileProvisioner;
  /** The outbound e-mail/SMS port. */
  messages: OutboundMessenger;
  /** The development outbox (every SMS, and e-mail when SMTP_URL is unset): tests and local users read codes here. */
  outbox: DevOutbox;
  /** Daily upkeep: expired-token clean-up (SQL) and the pending-profile sweep. */
  maintenanceTasks: MaintenanceTask[];
}

/** The identity services the composition root exposes by name. */
export type IdentityServices = Omit<AuthServices, "accessGuard" | "maintenanceTasks">;

export interface IdentityModuleDeps {
  config: Config;
  logger: Logger;
  /** Repositories query the pool; services open transactions through the transactor built on it. */
  pool: pg.Pool;
  transactor: Transactor;
  redis: Redis;
  realtime: SocketControl;
  /** Revocations announce `auth.session-revoked` through the PostgreSQL outbox. */
  events: RevocationEvents;
  jobs: Pick<JobQueue, "add">;
  tokens: AccessTokens;
  rateLimiter: RateLimiter;
  profiles: ProfileWriter;
}

/** Builds the identity domain (PostgreSQL) and its profile-provisioning job. */
export function createIdentityModule(deps: IdentityModuleDeps) {
  const { config, logger, pool: pg } = deps;
  const db = deps.transactor;
  const log = logger.child({ domain: "auth" });
  const users = new UserRepository(pg);
  const sessionRepository = new SessionRepository(pg);
  const audit = new AuditRepository(pg);
  const verificationTokens = new VerificationTokenRepository(pg);
  const provisioning = new ProfileProvisioningRepository(pg);
  // Revocation marks outlive every access token issued before them; alive marks last as long as a token.
  const revocations = new RevocationRepository(deps.redis, config.ACCESS_TOKEN_TTL_SECONDS + 60, config.ACCESS_TOKEN_TTL_SECONDS);
  const hasher = new PasswordHasher(config);
  const policy = new PasswordPolicy(config.COMMON_PASSWORDS_FILE);
  const reauth = new Reauthenticator(users, hasher, config);
  const box = new SecretBox(config.JWT_SECRET);
  const { messenger, outbox } = createOutboundMessenger(config, log);
  const revoker = new SessionRevoker(revocations, deps.realtime, deps.events, log);

  const profileProvisioner = new ProfileProvisioner(provisioning, deps.profiles, log, async (userId) => {
    await deps.jobs.add("profiles.provision", { userId });
  });
  const sessions = new SessionService(db, sessionRepository, users, deps.tokens, revoker, audit, config);
  const emailVerification = new EmailVerificationService(db, users, verificationTokens, audit, messenger, deps.rateLimiter, log, config);
  const twoFactor = new TwoFactorService(db, users, new RecoveryCodeRepository(pg), reauth, box, audit, config);
  const auth = new AuthService(db, users, provisioning, profileProvisioner, sessions, hasher, policy, reauth, emailVerification, twoFactor, deps.tokens, revocations, audit);
  const passwords = new PasswordService(db, users, sessionRepository, verificationTokens, hasher, policy, reauth, revoker, messenger, deps.rateLimiter, audit, log, config);

  const maintenanceTasks: MaintenanceTask[] = [
    {
      name: "auth.expired-tokens",
      period: "daily",
      // Sessions that ran out are ended like revocations first (their push subscriptions go with
      // them), before the clean-up deletes sessions ended more than a day ago.
      run: async (now) => ({ expired_sessions_ended: (await sessions.endExpired(now)).ended, ...(await verificationTokens.cleanupExpired(now)) }),
    },
    { name: "auth.pending-profiles", period: "daily", run: (now) => profileProvisioner.sweep(now) },
  ];
  const services: AuthServices = {
    auth,
    sessions,
    users: new AccountService(db, users, profileProvisioner, audit),
    passwords,
    emailVerification,
    twoFactor,
    admin: new AdminService(db, users, sessionRepository, revoker, audit),
    accessGuard: new SessionAccessGuard(deps.tokens, revocations, sessionRepository, log),
    profileProvisioner,
    messages: messenger,
    outbox,
    maintenanceTasks,
  };
  const jobHandlers: Pick<JobHandlers, "profiles.provision"> = {
    "profiles.provision": async ({ userId }) => ({ completed: await profileProvisioner.complete(userId) }),
  };
  return { services, jobHandlers };
}
