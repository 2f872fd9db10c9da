import type { Logger } from "../logging/logger.js";
import type { ProfileProvisioningRepository } from "./profile-provisioning.repository.js";

/** The profiles domain's idempotent upsert, as registration needs it. */
export interface ProfileWriter {
  ensureProfile(input: { userId: string; displayName: string; username?: string }): Promise<unknown>;
}

/** Queues a retry of one user's profile write (a BullMQ job in production). */
export type ProvisionRetry = (userId: string) => Promise<void>;

/**
 * Makes sure every account gets its MongoDB profile (seed data flow 1). The
 * registration transaction records a pending row; `provision` writes the
 * profile and clears the row. A failure leaves the row for the retry job, the
 * daily maintenance sweep and the owner's next `GET /api/me`, whichever
 * comes first — all of them call the same idempotent upsert.
 */
export class ProfileProvisioner {
  constructor(
    private readonly pending: ProfileProvisioningRepository,
    private readonly profiles: ProfileWriter,
    private readonly logger: Logger,
    private readonly scheduleRetry: ProvisionRetry,
  ) {}

  /** Right after registration: write now, or schedule a retry. Never throws. */
  async afterRegistration(userId: string, displayName: string): Promise<boolean> {
    if (await this.write(userId, displayName)) return true;
    await this.scheduleRetry(userId).catch((error: unknown) =>
      this.logger.warn({ err: error, userId }, "could not queue the profile retry; the daily sweep will complete it"),
    );
    return false;
  }

  /** Completes a pending profile if there is one; true when none is left. Throws when the write fails (job retries). */
  async complete(userId: string): Promise<boolean> {
    const row = await this.pending.find(userId);
    if (!row) return true;
    if (await this.write(row.userId, row.displayName)) return true;
    throw new Error(`profile of ${userId} could not be written yet`);
  }

  /** Like `complete`, but swallows the failure (lazy repair on GET /api/me). */
  async repairQuietly(userId: string): Promise<void> {
    await this.complete(userId).catch(() => undefined);
  }

  /** Daily sweep: completes rows the immediate attempt and the job left behind. */
  async sweep(now: Date, limit = 500): Promise<{ completed: number; failed: number }> {
    const rows = await this.pending.pending(new Date(now.getTime() - 60_000), limit);
    let completed = 0;
    for (const row of rows) {
      if (await this.write(row.userId, row.displayName)) completed++;
    }
    return { completed, failed: rows.length - completed };
  }

  private async write(userId: string, displayName: string): Promise<boolean> {
    try {
      await this.profiles.ensureProfile({ userId, displayName });
      await this.pending.complete(userId);
      return true;
    } catch (error) {
      this.logger.warn({ err: error, userId }, "profile write failed; will retry");
      await this.pending.recordFailure(userId, (error as Error).message ?? String(error)).catch(() => undefined);
      return false;
    }
  }
}
