import { TYPING_THROTTLE_MS } from "./presence.types.js";

const MAX_TRACKED = 64;

/**
 * One socket's memory of the conversations it recently reported typing in, so
 * a client that sends `chat:typing` on every keystroke costs no store round
 * trip between two broadcasts. Bounded: stale entries are dropped as it grows.
 */
export class TypingThrottle {
  private readonly lastSent = new Map<string, number>();

  /** True when a "typing" report for this conversation was passed on less than the throttle ago. */
  isQuiet(conversationId: string, now = Date.now()): boolean {
    const last = this.lastSent.get(conversationId);
    return last !== undefined && now - last < TYPING_THROTTLE_MS;
  }

  /** Records a "typing" report passed on (true) or a stop (false). */
  record(conversationId: string, isTyping: boolean, now = Date.now()): void {
    if (!isTyping) {
      this.lastSent.delete(conversationId);
      return;
    }
    this.lastSent.set(conversationId, now);
    if (this.lastSent.size > MAX_TRACKED) {
      for (const [id, at] of this.lastSent) if (now - at >= TYPING_THROTTLE_MS) this.lastSent.delete(id);
      // Still full: forget the oldest; the store-side throttle still holds for it.
      const oldest = this.lastSent.keys().next();
      if (this.lastSent.size > MAX_TRACKED && !oldest.done) this.lastSent.delete(oldest.value);
    }
  }
}
