import type { AccessControl } from "../access/access-control.js";

/**
 * How long a "may message" answer is reused at most. Entries are dropped at
 * once by invalidations (blocks, privacy and follow changes, on every process:
 * see chat-cache-invalidation.ts); the TTL is only the safety net for an
 * invalidation lost with a Redis outage (the subscriber then drops everything anyway).
 */
export const PERMISSION_TTL_MS = 10 * 60_000;

interface Entry {
  expires: number;
  senderId: string;
  recipientId: string;
}

/**
 * Caches "may message" answers for the send path of direct chats, in this
 * process: asking AccessControl costs a Redis round trip, and a send may make
 * only one. Only permissions are kept: a refusal is asked afresh every time, so
 * an unblock or a wider "who can message me" never waits for an invalidation to
 * arrive (refused sends are rare and capped by the per-socket budget). An answer lives between half and all of the TTL (jittered, so the
 * entries of many conversations filled at once do not expire and refresh in
 * one burst), and is dropped as soon as an invalidation names either user or
 * the pair. Creating a conversation always asks afresh.
 */
export class DirectPermissionCache {
  private readonly entries = new Map<string, Entry>();
  /** The keys each user appears in, so dropping a user costs its own entries only. */
  private readonly byUser = new Map<string, Set<string>>();

  constructor(
    private readonly access: Pick<AccessControl, "canMessage">,
    private readonly ttlMs = PERMISSION_TTL_MS,
    private readonly maxEntries = 20_000,
  ) {}

  async canMessage(senderId: string, recipientId: string, now = Date.now()): Promise<boolean> {
    const key = `${senderId}>${recipientId}`;
    const cached = this.entries.get(key);
    if (cached && cached.expires > now) return true;
    // An invalidation that arrives while the answer is computed must win over it.
    const generation = this.generation;
    const allowed = await this.access.canMessage(senderId, recipientId);
    this.delete(key);
    if (!allowed || generation !== this.generation) return allowed;
    this.entries.set(key, { expires: now + this.ttlMs * (0.5 + Math.random() * 0.5), senderId, recipientId });
    this.index(senderId, key);
    this.index(recipientId, key);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.delete(oldest);
    }
    return allowed;
  }

  /** Forgets a pair's answers, both ways. */
  forget(userA: string, userB: string): void {
    this.generation++;
    this.delete(`${userA}>${userB}`);
    this.delete(`${userB}>${userA}`);
  }

  /** Forgets every answer about a user, as sender or recipient. */
  forgetUser(userId: string): void {
    this.generation++;
    for (const key of [...(this.byUser.get(userId) ?? [])]) this.delete(key);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
    this.byUser.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private generation = 0;

  private index(userId: string, key: string): void {
    let keys = this.byUser.get(userId);
    if (!keys) this.byUser.set(userId, (keys = new Set()));
    keys.add(key);
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    for (const userId of [entry.senderId, entry.recipientId]) {
      const keys = this.byUser.get(userId);
      keys?.delete(key);
      if (keys?.size === 0) this.byUser.delete(userId);
    }
  }
}
