import type { Logger } from "../logging/logger.js";
import type { PushSubscriptionRepository } from "./push-subscription.repository.js";
import type { PushPayload, PushSender } from "./push/push-sender.js";

/** Who is connected right now (presence across every gateway replica). */
export interface OnlineCheck {
  onlineAmong(userIds: readonly string[]): Promise<Set<string>>;
}

/**
 * Pushes to a user's registered devices when none of them is connected: a
 * connected device already got the socket push, and a user reading on one
 * device is not buzzed on another.
 */
export class PushDelivery {
  constructor(
    private readonly subscriptions: PushSubscriptionRepository,
    private readonly presence: OnlineCheck,
    private readonly sender: PushSender,
    private readonly logger: Logger,
    private readonly ttlSeconds = 24 * 3600,
  ) {}

  get senderName(): string {
    return this.sender.name;
  }

  /** Sends to every subscription of the user unless a device is connected; answers how many were sent. */
  async toOfflineDevices(userId: string, payload: Omit<PushPayload, "unreadCount">, extra: { unreadCount: number }): Promise<number> {
    if ((await this.presence.onlineAmong([userId])).has(userId)) return 0;
    const targets = await this.subscriptions.forUser(userId);
    let sent = 0;
    for (const target of targets) {
      try {
        const outcome = await this.sender.send(target, { ...payload, unreadCount: extra.unreadCount }, { ttlSeconds: this.ttlSeconds, topic: payload.type.slice(0, 32) });
        if (outcome === "gone") await this.subscriptions.removeById(target.userId, target._id);
        else {
          sent++;
          await this.subscriptions.touch(target.userId, target._id, new Date());
        }
      } catch (error) {
        // One unreachable push service must not fail the notification: it is stored and shown in-app.
        this.logger.warn({ err: error, userId, sender: this.sender.name }, "push delivery failed");
      }
    }
    return sent;
  }
}
