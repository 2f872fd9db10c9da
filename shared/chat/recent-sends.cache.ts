import type { SendResult } from "./chat.types.js";

/** How long this process remembers a send's acknowledgement for a retry. */
export const RECENT_SEND_TTL_MS = 5 * 60_000;

/**
 * Acknowledgements of sends this process stored recently, by sender,
 * conversation and clientMessageId. A client that retries on the same replica
 * (a lost ack, a timeout) is answered from here without claiming a seq. Only an
 * optimisation: the unique index in the store still catches every other retry.
 *
 * Bounded by a ring of keys: every entry has the same lifetime, so insertion
 * order is expiry order, and remembering one more evicts the oldest slot in
 * O(1) (no iterator over the map on the send path).
 */
export class RecentSendsCache {
  private readonly entries = new Map<string, { result: SendResult; expires: number; slot: number }>();
  private readonly ring: Array<string | undefined>;
  private next = 0;

  constructor(
    private readonly ttlMs = RECENT_SEND_TTL_MS,
    private readonly maxEntries = 20_000,
  ) {
    this.ring = new Array<string | undefined>(maxEntries).fill(undefined);
  }

  get(senderId: string, conversationId: string, clientMessageId: string, now = Date.now()): SendResult | undefined {
    const key = `${senderId}|${conversationId}|${clientMessageId}`;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return { ...entry.result, duplicate: true };
  }

  remember(senderId: string, result: SendResult, now = Date.now()): void {
    const key = `${senderId}|${result.conversationId}|${result.clientMessageId}`;
    const slot = this.next;
    this.next = (slot + 1) % this.maxEntries;
    const evicted = this.ring[slot];
    // The slot's key may have been remembered again since (a later slot owns it then).
    if (evicted !== undefined && this.entries.get(evicted)?.slot === slot) this.entries.delete(evicted);
    this.ring[slot] = key;
    this.entries.set(key, { result, expires: now + this.ttlMs, slot });
  }

  /** Entries held (expired ones included until they are read or evicted). */
  get size(): number {
    return this.entries.size;
  }
}
