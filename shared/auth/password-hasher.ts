import argon2 from "argon2";
import type { Config } from "../config/config.js";

type HashConfig = Pick<Config, "ARGON2_MEMORY_KIB" | "ARGON2_TIME_COST" | "ARGON2_PARALLELISM">;

/**
 * argon2id hashing with configurable cost. `verify` also says whether the
 * stored hash used other parameters, so logins upgrade old hashes in place.
 */
export class PasswordHasher {
  private readonly options: { type: typeof argon2.argon2id; memoryCost: number; timeCost: number; parallelism: number };
  private dummy: Promise<string> | undefined;

  constructor(config: HashConfig) {
    this.options = {
      type: argon2.argon2id,
      memoryCost: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_TIME_COST,
      parallelism: config.ARGON2_PARALLELISM,
    };
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  /** Never throws on a malformed stored hash: that is simply not a match. */
  async verify(storedHash: string, password: string): Promise<{ ok: boolean; needsRehash: boolean }> {
    const ok = await argon2.verify(storedHash, password).catch(() => false);
    return { ok, needsRehash: ok && argon2.needsRehash(storedHash, this.options) };
  }

  /**
   * Spends the same time as a real verification, for logins of unknown or
   * locked accounts, so response timing does not reveal which accounts exist.
   */
  async verifyDummy(password: string): Promise<void> {
    this.dummy ??= argon2.hash("dummy-password-for-timing", this.options);
    await this.verify(await this.dummy, password);
  }
}
