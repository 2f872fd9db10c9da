import type { Logger } from "../logging/logger.js";
import type { OnlineCheck } from "../presence/presence.types.js";
import type { PushSubscriptionDoc, PushSubscriptionRepository } from "./push-subscription.repository.js";
import type { PushPayload, PushSender } from "./push/push-sender.js";

/** Pushes sent at once by a fan-out batch: each is an HTTPS request to a push service. */
const BATCH_CONCURRENCY = 16;

/** How a fan-out batch narrows its recipients down to those who get a device push. */
export interface BatchPushPolicy {
  /** The ones among `userIds` whose switch for the type says push. */
  wantPush(userIds: readonly string[]): Promise<Set<string>>;
  unreadCount(userId: string): Promise<number>;
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
    for (const target of targets) if (await this.sendOne(target, { ...payload, unreadCount: extra.unreadCount })) sent++;
    return sent;
  }

  /**
   * A fan-out batch's device pushes (one notification to up to 1,000 users):
   * one read finds who has a device registered at all, usually few; only
   * those are checked for a connected device and for the type's push switch.
   * Answers how many pushes were sent.
   */
  async toOfflineAmong(userIds: readonly string[], payloadFor: (userId: string) => Omit<PushPayload, "unreadCount">, policy: BatchPushPolicy): Promise<number> {
    const subscribed = await this.subscriptions.forUsers(userIds);
    if (subscribed.length === 0) return 0;
    const owners = [...new Set(subscribed.map((target) => target.userId))];
    const [online, wanting] = await Promise.all([this.presence.onlineAmong(owners), policy.wantPush(owners)]);
    const targets = subscribed.filter((target) => wanting.has(target.userId) && !online.has(target.userId));
    const counts = new Map<string, Promise<number>>();
    const countOf = (userId: string) => {
      let count = counts.get(userId);
      if (!count) counts.set(userId, (count = policy.unreadCount(userId).catch(() => 0)));
      return count;
    };
    let sent = 0;
    for (let start = 0; start < targets.length; start += BATCH_CONCURRENCY) {
      const outcomes = await Promise.all(
        targets.slice(start, start + BATCH_CONCURRENCY).map(async (target) => this.sendOne(target, { ...payloadFor(target.userId), unreadCount: await countOf(target.userId) })),
      );
      sent += outcomes.filter(Boolean).length;
    }
    return sent;
  }

  /** One push to one device; a subscription the push service says is gone is removed. Never throws. */
  private async sendOne(target: PushSubscriptionDoc, payload: PushPayload): Promise<boolean> {
    try {
      const outcome = await this.sender.send(target, payload, { ttlSeconds: this.ttlSeconds, topic: payload.type.slice(0, 32) });
      if (outcome === "gone") {
        await this.subscriptions.removeById(target.userId, target._id);
        return false;
      }
      await this.subscriptions.touch(target.userId, target._id, new Date());
      return true;
    } catch (error) {
      // One unreachable push service must not fail the notification: it is stored and shown in-app.
      this.logger.warn({ err: error, userId: target.userId, sender: this.sender.name }, "push delivery failed");
      return false;
    }
  }
}
