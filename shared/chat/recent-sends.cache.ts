import type { SendResult } from "./chat.types.js";

/** How long this process remembers a send's acknowledgement for a retry. */
export const RECENT_SEND_TTL_MS = 5 * 60_000;

/**
 * Acknowledgements of sends this process stored recently, by sender,
 * conversation and clientMessageId. A client that retries on the same replica
 * (a lost ack, a timeout) is answered from here without claiming a seq. Only an
 * optimisation: the unique index in the store still catches every other retry.
 */
export class RecentSendsCache {
  private readonly entries = new Map<string, { result: SendResult; expires: number }>();

  constructor(
    private readonly ttlMs = RECENT_SEND_TTL_MS,
    private readonly maxEntries = 20_000,
  ) {}

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
    this.entries.set(`${senderId}|${result.conversationId}|${result.clientMessageId}`, { result, expires: now + this.ttlMs });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
