import { createHash } from "node:crypto";
import type { Collection, Db } from "mongodb";

export interface PushSubscriptionDoc {
  _id: string;
  userId: string;
  sessionId: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
  createdAt: Date;
  lastUsedAt?: Date;
}

/** A subscription's id: the hash of its endpoint (one per browser profile). */
export const subscriptionId = (endpoint: string): string => createHash("sha256").update(endpoint).digest("base64url");

/** The only code that touches `pushSubscriptions`. */
export class PushSubscriptionRepository {
  private readonly subscriptions: Collection<PushSubscriptionDoc>;

  constructor(db: Db) {
    this.subscriptions = db.collection<PushSubscriptionDoc>("pushSubscriptions");
  }

  /** Registers (or moves to this user and session) the browser endpoint. */
  async upsert(doc: Omit<PushSubscriptionDoc, "_id">): Promise<string> {
    const id = subscriptionId(doc.endpoint);
    await this.subscriptions.replaceOne({ _id: id }, { ...doc, _id: id } as PushSubscriptionDoc, { upsert: true });
    return id;
  }

  async remove(userId: string, endpoint: string): Promise<boolean> {
    return (await this.subscriptions.deleteOne({ _id: subscriptionId(endpoint), userId })).deletedCount === 1;
  }

  async removeById(id: string): Promise<void> {
    await this.subscriptions.deleteOne({ _id: id });
  }

  /** Revoked sessions' subscriptions go with them. */
  async removeForSessions(sessionIds: readonly string[]): Promise<number> {
    if (sessionIds.length === 0) return 0;
    return (await this.subscriptions.deleteMany({ sessionId: { $in: [...sessionIds] } })).deletedCount;
  }

  async forUser(userId: string): Promise<PushSubscriptionDoc[]> {
    return this.subscriptions.find({ userId }, { limit: 20 }).toArray();
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.subscriptions.updateOne({ _id: id }, { $set: { lastUsedAt: at } });
  }
}
