import type { OnlineCheck } from "./presence.types.js";

/**
 * How long a "connected" answer is reused at most when no offline transition
 * drops it first: as long as a dead replica's devices keep counting as
 * connected anyway (its liveness key lives 5 s), so the memory adds at most
 * that much to the one case without an announcement.
 */
export const ONLINE_TTL_MS = 5_000;


/**
 * This process's short memory of who is connected, for the send path: a chat
 * message asks whether its recipients are connected, and a busy conversation
 * asks many times a second. Only "connected" answers are kept, for at most
 * `ttlMs`; a user's entry is dropped as soon as any process announces that
 * user's last device gone (`forget`, wired to the invalidation channel), and
 * an answer fetched while such an announcement arrived is not kept. "Not
 * connected" is always asked afresh, so a user who connects is never missed;
 * a user whose last device goes away without an announcement (its replica
 * died) is believed connected for at most `ttlMs` more.
 */
export class OnlineCache implements OnlineCheck {
  private readonly online = new Map<string, number>();
  /** When each user was last announced offline, kept for `ttlMs`: fetches started before that are not kept for them. */
  private readonly wentOffline = new Map<string, number>();
  /** Fetches started before this are not kept at all. */
  private clearedAt = -Infinity;

  constructor(
    private readonly source: OnlineCheck,
    private readonly ttlMs = ONLINE_TTL_MS,
    private readonly maxEntries = 100_000,
  ) {}

  async onlineAmong(userIds: readonly string[]): Promise<Set<string>> {
    const started = Date.now();
    const connected = new Set<string>();
    const ask: string[] = [];
    for (const userId of userIds) {
      const until = this.online.get(userId);
      if (until !== undefined && until > started) connected.add(userId);
      else ask.push(userId);
    }
    if (ask.length === 0) return connected;
    const fresh = await this.source.onlineAmong(ask);
    for (const userId of fresh) {
      connected.add(userId);
      if (started <= this.clearedAt || (this.wentOffline.get(userId) ?? -Infinity) >= started) continue;
      this.online.delete(userId);
      this.online.set(userId, started + this.ttlMs);
    }
    this.trim(started);
    return connected;
  }

  /** Users whose last device went away (an offline transition, from any process). */
  forget(userIds: readonly string[], now = Date.now()): void {
    for (const userId of userIds) {
      this.online.delete(userId);
      this.wentOffline.delete(userId);
      this.wentOffline.set(userId, now);
    }
  }

  /** Everything dropped (the invalidation channel reconnected: announcements may have been lost). */
  clear(now = Date.now()): void {
    this.online.clear();
    this.clearedAt = now;
  }

  get size(): number {
    return this.online.size;
  }

  /** Oldest entries first (insertion order): expired ones, and any over the bound. */
  private trim(now: number): void {
    for (const [userId, until] of this.online) {
      if (until > now && this.online.size <= this.maxEntries) break;
      this.online.delete(userId);
    }
    for (const [userId, at] of this.wentOffline) {
      if (now - at < this.ttlMs && this.wentOffline.size <= this.maxEntries) break;
      this.wentOffline.delete(userId);
    }
  }
}
