import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { AppError } from "../errors/app-error.js";

/** The list shipped beside this file (10,000 most common passwords of 8+ characters). */
export const BUNDLED_COMMON_PASSWORDS = path.join(path.dirname(fileURLToPath(import.meta.url)), "common-passwords.txt");

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * Length bounds (counted in code points, as people count characters) and a
 * refusal of well-known passwords, compared case-insensitively.
 */
export class PasswordPolicy {
  private readonly common: ReadonlySet<string>;

  constructor(listFile: string = BUNDLED_COMMON_PASSWORDS) {
    const lines = readFileSync(listFile, "utf8").split(/\r?\n/);
    this.common = new Set(lines.filter((line) => line.length > 0 && !line.startsWith("#")).map((line) => line.toLowerCase()));
  }

  /** Number of refused passwords loaded. */
  get size(): number {
    return this.common.size;
  }

  isCommon(password: string): boolean {
    return this.common.has(password.toLowerCase());
  }

  /** Throws VALIDATION_FAILED (with the field name) when the password is not acceptable. */
  assertAcceptable(password: string, field = "password", context: readonly string[] = []): void {
    const length = [...password].length;
    if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
      throw invalid(field, `must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`);
    }
    if (this.isCommon(password)) throw invalid(field, "is too common; choose a less guessable password");
    const lower = password.toLowerCase();
    // A password equal to the account's own e-mail, phone or name is as weak as a common one.
    if (context.some((value) => value.length >= 4 && lower === value.toLowerCase())) {
      throw invalid(field, "must not be your e-mail, phone number or name");
    }
  }
}

function invalid(field: string, message: string): AppError {
  return new AppError("VALIDATION_FAILED", `Invalid input: ${field}: ${message}`, [{ path: field, message }]);
}
