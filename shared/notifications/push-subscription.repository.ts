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

const MOVE_SCAN = "scatter-gather: a push endpoint registered by a new user drops its copy under the previous user (once per sign-in)";
const SESSION_SCAN = "scatter-gather: revoked sessions' push subscriptions (sign-out, password change; an index lookup per shard)";

/** The only code that touches `pushSubscriptions`. */
export class PushSubscriptionRepository {
  private readonly subscriptions: Collection<PushSubscriptionDoc>;

  constructor(db: Db) {
    this.subscriptions = db.collection<PushSubscriptionDoc>("pushSubscriptions");
  }

  /** Registers (or moves to this user and session) the browser endpoint. */
  async upsert(doc: Omit<PushSubscriptionDoc, "_id">): Promise<string> {
    const id = subscriptionId(doc.endpoint);
    // An endpoint that moves to another user leaves its copy under the previous one (another shard): drop it
    // first. Rare (a browser signed in by another user); a sharded cluster does not enforce _id across shards.
    await this.subscriptions.deleteMany({ _id: id, userId: { $ne: doc.userId } }, { comment: MOVE_SCAN });
    await this.subscriptions.replaceOne({ _id: id, userId: doc.userId }, { ...doc, _id: id } as PushSubscriptionDoc, { upsert: true });
    return id;
  }

  async remove(userId: string, endpoint: string): Promise<boolean> {
    return (await this.subscriptions.deleteOne({ _id: subscriptionId(endpoint), userId })).deletedCount === 1;
  }

  async removeById(userId: string, id: string): Promise<void> {
    await this.subscriptions.deleteOne({ _id: id, userId });
  }

  /** Revoked sessions' subscriptions go with them. */
  async removeForSessions(sessionIds: readonly string[]): Promise<number> {
    if (sessionIds.length === 0) return 0;
    return (await this.subscriptions.deleteMany({ sessionId: { $in: [...sessionIds] } }, { comment: SESSION_SCAN })).deletedCount;
  }

  async forUser(userId: string): Promise<PushSubscriptionDoc[]> {
    return this.subscriptions.find({ userId }, { limit: 20 }).toArray();
  }

  /** The subscriptions of any of `userIds` (a fan-out batch: most users have none, so this is usually empty). */
  async forUsers(userIds: readonly string[]): Promise<PushSubscriptionDoc[]> {
    if (userIds.length === 0) return [];
    return this.subscriptions.find({ userId: { $in: [...userIds] } }).toArray();
  }

  async touch(userId: string, id: string, at: Date): Promise<void> {
    await this.subscriptions.updateOne({ _id: id, userId }, { $set: { lastUsedAt: at } });
  }
}
