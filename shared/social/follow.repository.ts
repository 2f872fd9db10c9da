import { ObjectId, type Collection, type Db, type Filter, type WithId } from "mongodb";
import type { AnyOutboxEntry } from "../events/domain-events.js";
import { isDuplicateKeyError } from "./duplicate-key.js";
import type { Follow, FollowRecord, FollowStatus } from "./follow.types.js";

function toRecord(doc: WithId<Follow>): FollowRecord {
  return {
    id: doc._id.toHexString(),
    followerId: doc.followerId,
    followeeId: doc.followeeId,
    status: doc.status,
    createdAt: doc.createdAt,
    acceptedAt: doc.acceptedAt ?? null,
  };
}

/**
 * `follows` is sharded by follower (follow checks and "whom I follow" target one shard). Reads by followee
 * scatter, bounded and marked: pages of one user's followers or requests (fan-out and maintenance jobs, and
 * the followers/requests list pages, `limit` each) and the weekly counter recount.
 */
const BY_FOLLOWEE = "scatter-gather: one user's followers or requests, a page by limit (jobs and list pages)";
const RECOUNT = "scatter-gather: follower count repair of one user, weekly maintenance";

/**
 * Only code that touches `follows`. Each write reports whether it changed
 * state, so counters can be moved by exactly the writes that happened.
 */
export class FollowRepository {
  private readonly follows: Collection<Follow>;

  constructor(db: Db) {
    this.follows = db.collection<Follow>("follows");
  }

  /** Inserts the edge; false when the pair already exists (a retry or a race lost). */
  async insert(follow: Follow): Promise<boolean> {
    try {
      await this.follows.insertOne({ ...follow });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  async find(followerId: string, followeeId: string): Promise<FollowRecord | null> {
    const doc = await this.follows.findOne({ followerId, followeeId });
    return doc ? toRecord(doc) : null;
  }

  /** Both directions between two users: [a follows b, b follows a]. */
  async findPair(a: string, b: string): Promise<[FollowRecord | null, FollowRecord | null]> {
    const docs = await this.follows
      .find({ $or: [{ followerId: a, followeeId: b }, { followerId: b, followeeId: a }] })
      .toArray();
    const forward = docs.find((d) => d.followerId === a);
    const backward = docs.find((d) => d.followerId === b);
    return [forward ? toRecord(forward) : null, backward ? toRecord(backward) : null];
  }

  /** Deletes the edge and returns it as it was (null when there was none). */
  async remove(followerId: string, followeeId: string): Promise<FollowRecord | null> {
    const doc = await this.follows.findOneAndDelete({ followerId, followeeId });
    return doc ? toRecord(doc) : null;
  }

  /** Deletes the edge only while it is still pending; true when one was deleted. */
  async removePending(followerId: string, followeeId: string): Promise<boolean> {
    const result = await this.follows.deleteOne({ followerId, followeeId, status: "pending" });
    return result.deletedCount === 1;
  }

  /** pending → accepted; true only for the one write that made the transition. */
  async accept(followerId: string, followeeId: string, at: Date, outbox: AnyOutboxEntry[] = []): Promise<boolean> {
    const result = await this.follows.updateOne(
      { followerId, followeeId, status: "pending" },
      { $set: { status: "accepted", acceptedAt: at }, ...(outbox.length > 0 ? { $push: { outbox: { $each: outbox } } } : {}) },
    );
    return result.modifiedCount === 1;
  }

  /** A page of a user's followers (or pending requesters), newest first, after the id `afterId`. */
  async pageByFollowee(followeeId: string, status: FollowStatus, afterId: string | undefined, limit: number): Promise<FollowRecord[]> {
    return this.page({ followeeId, status }, afterId, limit, BY_FOLLOWEE);
  }

  /** A page of whom a user follows (or has asked to), newest first. */
  async pageByFollower(followerId: string, status: FollowStatus, afterId: string | undefined, limit: number): Promise<FollowRecord[]> {
    return this.page({ followerId, status }, afterId, limit);
  }

  private async page(filter: Filter<Follow>, afterId: string | undefined, limit: number, comment?: string): Promise<FollowRecord[]> {
    const query: Filter<Follow> = afterId ? { ...filter, _id: { $lt: new ObjectId(afterId) } } : filter;
    const docs = await this.follows.find(query, { sort: { _id: -1 }, limit, ...(comment ? { comment } : {}) }).toArray();
    return docs.map(toRecord);
  }

  /**
   * The other ends of a user's accepted edges, newest edge first, after the edge `afterId`:
   * `followers` (who follows `userId`, the fan-out) or `following` (whom `userId` follows, a
   * feed rebuild). Ids only and one round trip per page (batchSize = limit); `last` is the
   * cursor of the next page, null on the last one.
   */
  async acceptedIdsPage(userId: string, side: "followers" | "following", afterId: string | undefined, limit: number): Promise<{ ids: string[]; last: string | null }> {
    const filter: Filter<Follow> = side === "followers" ? { followeeId: userId, status: "accepted" } : { followerId: userId, status: "accepted" };
    if (afterId) filter._id = { $lt: new ObjectId(afterId) };
    const field = side === "followers" ? "followerId" : "followeeId";
    // Followers by followee: `follows` is keyed by follower, so this page (fan-out jobs, off the request path) scatters.
    const comment = side === "followers" ? { comment: BY_FOLLOWEE } : {};
    const docs = await this.follows.find(filter, { sort: { _id: -1 }, limit, batchSize: limit, projection: { _id: 1, [field]: 1 }, ...comment }).toArray();
    const lastDoc = docs.length === limit ? docs[docs.length - 1] : undefined;
    return { ids: docs.map((d) => d[field]), last: lastDoc ? lastDoc._id.toHexString() : null };
  }

  /**
   * Both directions between `userId` and each of `others`, in one query (an `$or` of two
   * index-served branches): the status of `userId`'s follow of each, and which of them follow
   * `userId` (accepted).
   */
  async edgesWith(userId: string, others: readonly string[]): Promise<{ statuses: Map<string, FollowStatus>; acceptedFollowers: Set<string> }> {
    const statuses = new Map<string, FollowStatus>();
    const acceptedFollowers = new Set<string>();
    if (others.length === 0) return { statuses, acceptedFollowers };
    const docs = await this.follows
      .find(
        { $or: [{ followerId: userId, followeeId: { $in: [...others] } }, { followerId: { $in: [...others] }, followeeId: userId, status: "accepted" }] },
        { projection: { _id: 0, followerId: 1, followeeId: 1, status: 1 } },
      )
      .toArray();
    for (const d of docs) {
      if (d.followerId === userId) statuses.set(d.followeeId, d.status);
      else acceptedFollowers.add(d.followerId);
    }
    return { statuses, acceptedFollowers };
  }

  /** The status of `followerId`'s follow of each of `followeeIds` that has one. */
  async statusesFrom(followerId: string, followeeIds: readonly string[]): Promise<Map<string, FollowStatus>> {
    if (followeeIds.length === 0) return new Map();
    const docs = await this.follows
      .find({ followerId, followeeId: { $in: [...followeeIds] } }, { projection: { _id: 0, followeeId: 1, status: 1 } })
      .toArray();
    return new Map(docs.map((d) => [d.followeeId, d.status]));
  }

  /** Which of `followerIds` follow `followeeId` (accepted). */
  async acceptedFollowersAmong(followeeId: string, followerIds: readonly string[]): Promise<Set<string>> {
    if (followerIds.length === 0) return new Set();
    const docs = await this.follows
      .find({ followerId: { $in: [...followerIds] }, followeeId, status: "accepted" }, { projection: { _id: 0, followerId: 1 } })
      .toArray();
    return new Set(docs.map((d) => d.followerId));
  }

  /** Accepted followers and followings of a user, counted from the edges (counter repair). */
  async countAccepted(userId: string): Promise<{ followersCount: number; followingCount: number }> {
    const [followersCount, followingCount] = await Promise.all([
      this.follows.countDocuments({ followeeId: userId, status: "accepted" }, { comment: RECOUNT }),
      this.follows.countDocuments({ followerId: userId, status: "accepted" }),
    ]);
    return { followersCount, followingCount };
  }
}
