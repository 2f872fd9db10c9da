import type { Config } from "../config/config.js";
import { AppError } from "../errors/app-error.js";
import type { PasswordHasher } from "./password-hasher.js";
import type { UserRepository } from "./user.repository.js";
import type { UserRecord } from "./user.types.js";

type LockoutConfig = Pick<Config, "AUTH_LOCKOUT_THRESHOLD" | "AUTH_LOCKOUT_WINDOW_SECONDS" | "AUTH_LOCKOUT_DURATION_SECONDS">;

/**
 * Confirms the current password before a sensitive change (password, 2FA).
 * Wrong guesses count towards the same lockout as logins, so a stolen access
 * token cannot be used to brute-force the password.
 */
export class Reauthenticator {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly config: LockoutConfig,
  ) {}

  async confirm(user: UserRecord, password: string): Promise<void> {
    if (user.lockedUntil && user.lockedUntil.getTime() > Date.now()) {
      await this.hasher.verifyDummy(password);
      throw wrongPassword();
    }
    const { ok } = await this.hasher.verify(user.passwordHash, password);
    if (!ok) {
      await this.recordFailure(user.id);
      throw wrongPassword();
    }
  }

  /** Counts a failed proof (password or second factor) towards the lockout. */
  async recordFailure(userId: string): Promise<Date | null> {
    const { lockedUntil } = await this.users.recordLoginFailure(
      userId,
      this.config.AUTH_LOCKOUT_THRESHOLD,
      this.config.AUTH_LOCKOUT_WINDOW_SECONDS,
      this.config.AUTH_LOCKOUT_DURATION_SECONDS,
    );
    return lockedUntil;
  }
}

function wrongPassword(): AppError {
  return new AppError("WRONG_PASSWORD", "The current password is not correct");
}
