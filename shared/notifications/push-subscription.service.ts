import { AppError } from "../errors/app-error.js";
import type { PushSubscriptionRepository } from "./push-subscription.repository.js";

/** A device push subscription, as the browser's PushManager gives it. */
export interface SubscriptionInput {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** Registering and removing a session's device push subscriptions. */
export class PushSubscriptionService {
  constructor(
    private readonly subscriptions: PushSubscriptionRepository,
    private readonly vapidPublicKey: string | null,
    private readonly senderName: string,
  ) {}

  /** What a client needs to subscribe: the application server key (VAPID), when Web Push is configured. */
  info(): { vapidPublicKey: string | null; sender: string } {
    return { vapidPublicKey: this.vapidPublicKey, sender: this.senderName };
  }

  async register(actor: { userId: string; sessionId: string }, input: SubscriptionInput): Promise<{ id: string }> {
    const id = await this.subscriptions.upsert({ userId: actor.userId, sessionId: actor.sessionId, endpoint: input.endpoint, keys: input.keys, createdAt: new Date() });
    return { id };
  }

  /** A revoked session's devices stop receiving pushes (the `auth.session-revoked` subscriber). */
  async sessionsRevoked(sessionIds: readonly string[]): Promise<number> {
    return this.subscriptions.removeForSessions(sessionIds);
  }

  async remove(actor: { userId: string }, endpoint: string): Promise<void> {
    if (!(await this.subscriptions.remove(actor.userId, endpoint))) throw new AppError("NOT_FOUND", "No such push subscription");
  }
}
