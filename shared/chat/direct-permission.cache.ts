import type { AccessControl } from "../access/access-control.js";

/** How long a "may message" answer is reused for sends in a direct chat. */
export const PERMISSION_TTL_MS = 5_000;

/**
 * Caches `canMessage` answers for the send path of direct chats, briefly and
 * in this process: asking AccessControl costs a Redis round trip, and a send
 * may make only one. An answer lives between half and all of PERMISSION_TTL_MS
 * (jittered), so a new block stops sends within PERMISSION_TTL_MS; creating a
 * conversation always asks afresh.
 */
export class DirectPermissionCache {
  private readonly entries = new Map<string, { allowed: boolean; expires: number }>();

  constructor(
    private readonly access: Pick<AccessControl, "canMessage">,
    private readonly ttlMs = PERMISSION_TTL_MS,
    private readonly maxEntries = 20_000,
  ) {}

  async canMessage(senderId: string, recipientId: string, now = Date.now()): Promise<boolean> {
    const key = `${senderId}>${recipientId}`;
    const cached = this.entries.get(key);
    if (cached && cached.expires > now) return cached.allowed;
    const allowed = await this.access.canMessage(senderId, recipientId);
    this.entries.delete(key);
    // Jittered within the TTL, so the entries of many conversations filled at
    // once do not all expire (and refresh in one burst) on the same boundary.
    this.entries.set(key, { allowed, expires: now + this.ttlMs * (0.5 + Math.random() * 0.5) });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return allowed;
  }

  /** Forgets a pair's answer (after a change this process made itself). */
  forget(userA: string, userB: string): void {
    this.entries.delete(`${userA}>${userB}`);
    this.entries.delete(`${userB}>${userA}`);
  }
}
