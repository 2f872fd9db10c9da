import type { Collection, Db } from "mongodb";

/** What a follower asked to hear about from an author. */
export const SUBSCRIPTION_KINDS = ["posts", "videos"] as const;
export type SubscriptionKind = (typeof SUBSCRIPTION_KINDS)[number];

export interface AuthorSubscriptionDoc {
  /** `<authorId>:<userId>`: one document per pair. */
  _id: string;
  authorId: string;
  userId: string;
  /** Never empty: a pair that asks for nothing has no document. */
  kinds: SubscriptionKind[];
  createdAt: Date;
  updatedAt: Date;
}

export const authorSubscriptionId = (authorId: string, userId: string): string => `${authorId}:${userId}`;

/**
 * The only code that touches `authorSubscriptions`: followers who asked to be
 * told of an author's new posts or videos. The fan-out reads them a page at a
 * time in user id order through `author_kinds_user` (author, kind, user).
 */
export class AuthorSubscriptionRepository {
  private readonly subscriptions: Collection<AuthorSubscriptionDoc>;

  constructor(db: Db) {
    this.subscriptions = db.collection<AuthorSubscriptionDoc>("authorSubscriptions");
  }

  async get(authorId: string, userId: string): Promise<SubscriptionKind[]> {
    const doc = await this.subscriptions.findOne({ _id: authorSubscriptionId(authorId, userId), authorId });
    return doc?.kinds ?? [];
  }

  /** Sets the kinds asked for; an empty set removes the pair. */
  async set(authorId: string, userId: string, kinds: readonly SubscriptionKind[], at: Date): Promise<void> {
    const _id = authorSubscriptionId(authorId, userId);
    if (kinds.length === 0) {
      await this.subscriptions.deleteOne({ _id, authorId });
      return;
    }
    await this.subscriptions.updateOne(
      { _id, authorId },
      { $set: { userId, kinds: [...kinds], updatedAt: at }, $setOnInsert: { createdAt: at } },
      { upsert: true },
    );
  }

  /** Removes the pairs (unfollow, block); answers how many there were. */
  async removePairs(pairs: ReadonlyArray<{ authorId: string; userId: string }>): Promise<number> {
    let removed = 0;
    for (const { authorId, userId } of pairs) {
      removed += (await this.subscriptions.deleteOne({ _id: authorSubscriptionId(authorId, userId), authorId })).deletedCount;
    }
    return removed;
  }

  /** Up to `limit` subscribers of `authorId` asking for `kind`, in user id order after `afterUserId`. */
  async page(authorId: string, kind: SubscriptionKind, afterUserId: string | null, limit: number): Promise<string[]> {
    const docs = await this.subscriptions
      .find(
        { authorId, kinds: kind, ...(afterUserId ? { userId: { $gt: afterUserId } } : {}) },
        { sort: { userId: 1 }, limit, projection: { _id: 0, userId: 1 } },
      )
      .toArray();
    return docs.map((doc) => doc.userId);
  }
}
