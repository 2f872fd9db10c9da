import type { Logger } from "../logging/logger.js";
import type { LastSeenRepository, LastSeenTransition } from "./last-seen.repository.js";

/** How long a transition waits to be written with others (ms). */
export const LAST_SEEN_FLUSH_MS = 250;
/** A batch this large is written at once, without waiting. */
const MAX_BATCH = 1_000;

/**
 * Write-behind for `users.is_online`/`last_seen`: presence transitions are
 * queued in this process (the latest per user wins) and written every
 * LAST_SEEN_FLUSH_MS in one statement, instead of one PostgreSQL write per
 * connect or disconnect on the handshake path. Redis stays the source of truth
 * for "online"; what PostgreSQL shows lags by at most the flush period (reads
 * made here see the queued values). A failed batch is queued again (unless a
 * newer transition replaced it); a process that dies loses at most one period
 * of transitions, which the next transition or the daily reconcile corrects.
 */
export class LastSeenWriter {
  private pending = new Map<string, LastSeenTransition>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly repository: LastSeenRepository,
    private readonly logger: Logger,
    private readonly flushMs = LAST_SEEN_FLUSH_MS,
  ) {}

  /** Queues a transition; an older one than the queued transition of the user is dropped. */
  record(userId: string, online: boolean, at: Date): void {
    const queued = this.pending.get(userId);
    if (queued && queued.at > at) return;
    this.pending.set(userId, { userId, online, at });
    if (this.pending.size >= MAX_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
  }

  /** Writes everything queued so far (shutdown, tests); resolves when it is stored or re-queued. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing) await this.writing;
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.writing = this.repository.recordMany(batch).then(
      () => undefined,
      (error: unknown) => {
        this.logger.warn({ err: error, transitions: batch.length }, "could not persist presence transitions; retrying");
        for (const transition of batch) if (!this.pending.has(transition.userId)) this.pending.set(transition.userId, transition);
        this.timer ??= setTimeout(() => void this.flush(), this.flushMs * 4).unref();
      },
    );
    try {
      await this.writing;
    } finally {
      this.writing = undefined;
    }
  }

  /** Last-seen times of the given users, the queued transitions of this process over the stored ones. */
  async lastSeenOf(userIds: readonly string[]): Promise<Map<string, Date>> {
    const stored = await this.repository.lastSeenOf(userIds);
    for (const userId of userIds) {
      const queued = this.pending.get(userId);
      if (queued && stored.has(userId) && queued.at > stored.get(userId)!) stored.set(userId, queued.at);
    }
    return stored;
  }

  /** The stored online page and offline correction (the reconcile), after writing what is queued. */
  async onlinePage(afterId: string | null, limit: number): Promise<string[]> {
    await this.flush();
    return this.repository.onlinePage(afterId, limit);
  }

  markOffline(userIds: readonly string[], checkedAt: Date): Promise<number> {
    return this.repository.markOffline(userIds, checkedAt);
  }
}
