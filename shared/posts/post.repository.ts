import { ObjectId, type Collection, type Db, type Document, type Filter } from "mongodb";
import { isDuplicateKeyError } from "../social/duplicate-key.js";
import { afterCursor, type TimeCursor } from "./post-cursor.js";
import type { OutboxEntry } from "./posts.deps.js";
import type { PostDoc, PostEditDoc, PostVisibility } from "./post.types.js";

/** Extra rows read past a page so ties on the cursor's millisecond never short a page. */
const TIE_SLACK = 10;

/**
 * Reads that name no post id scatter over the shards of the hashed `_id` key;
 * each is bounded and marked (strict shard-key mode, README's list).
 */
const SCATTER = {
  byAuthors: "scatter-gather: author timelines and feed rebuilds, a limit over the author index on every shard",
  discovery: "scatter-gather: discovery across authors (hashtag, text, trending, place), bounded by limit",
  trends: "scatter-gather: the trend recount of one hashtag over a time window, in a job",
  repair: "scatter-gather: share-count repair of one post, in maintenance",
} as const;

export const toObjectId = (hex: string): ObjectId | null => (ObjectId.isValid(hex) && /^[0-9a-f]{24}$/.test(hex) ? new ObjectId(hex) : null);

/**
 * The only code that touches `posts` and `postEdits`. Counter writes report the
 * document after the change, so the engagement score can follow the newest counters.
 */
export class PostRepository {
  readonly posts: Collection<PostDoc>;
  private readonly edits: Collection<PostEditDoc>;
  private readonly claims: Collection<{ _id: string; postId: ObjectId; createdAt: Date }>;

  constructor(db: Db) {
    this.posts = db.collection<PostDoc>("posts");
    this.edits = db.collection<PostEditDoc>("postEdits");
    this.claims = db.collection<{ _id: string; postId: ObjectId; createdAt: Date }>("postClientIds");
  }

  /**
   * The post id a create with `clientId` uses: the one an earlier attempt
   * claimed, else `candidate` (claimed now). A retry thus rebuilds the same
   * post, and its insert collides on `_id` with the first.
   */
  async claimId(userId: string, clientId: string, candidate: ObjectId, at: Date): Promise<ObjectId> {
    const _id = `${userId}:${clientId}`;
    try {
      const claim = await this.claims.findOneAndUpdate({ _id }, { $setOnInsert: { postId: candidate, createdAt: at } }, { upsert: true, returnDocument: "after" });
      if (claim) return claim.postId;
    } catch (error) {
      // Two racing first attempts: the other one claimed it.
      if (!isDuplicateKeyError(error)) throw error;
    }
    const claim = await this.claims.findOne({ _id });
    if (!claim) throw new Error(`post client id claim ${_id} vanished`);
    return claim.postId;
  }

  /** Inserts a post; when its id exists already (a retried create), returns the stored post instead. */
  async insert(doc: PostDoc): Promise<{ post: PostDoc; inserted: boolean }> {
    try {
      await this.posts.insertOne(doc);
      return { post: doc, inserted: true };
    } catch (error) {
      if (!isDuplicateKeyError(error) || doc.clientId === undefined) throw error;
      const existing = await this.posts.findOne({ _id: doc._id });
      if (!existing) throw error;
      return { post: existing, inserted: false };
    }
  }

  async findById(id: ObjectId): Promise<PostDoc | null> {
    return this.posts.findOne({ _id: id });
  }

  async findByIds(ids: readonly ObjectId[]): Promise<PostDoc[]> {
    if (ids.length === 0) return [];
    return this.posts.find({ _id: { $in: [...ids] } }).toArray();
  }

  /** Replaces the editable content if the post is still at `version` (optimistic concurrency). */
  async updateContent(id: ObjectId, version: number, set: Record<string, unknown>, outbox: readonly OutboxEntry[]): Promise<PostDoc | null> {
    const update: Document = { $set: { ...set, updatedAt: new Date() }, $inc: { version: 1 } };
    if (outbox.length > 0) update.$push = { outbox: { $each: [...outbox] } };
    return this.posts.findOneAndUpdate({ _id: id, version, isDeleted: false }, update, { returnDocument: "after" });
  }

  /** Stores the snapshot of `version`; a second store of the same version (a retry) is a no-op. */
  async insertEdit(edit: PostEditDoc): Promise<void> {
    try {
      await this.edits.insertOne(edit);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  async listEdits(postId: ObjectId): Promise<PostEditDoc[]> {
    return this.edits.find({ postId }, { sort: { version: 1 } }).toArray();
  }

  /** Soft-deletes; returns the post as it was only for the one write that made the transition. */
  async markDeleted(id: ObjectId, reason: "author" | "moderation", at: Date, outbox: readonly OutboxEntry[]): Promise<PostDoc | null> {
    return this.posts.findOneAndUpdate(
      { _id: id, isDeleted: false },
      { $set: { isDeleted: true, deletedAt: at, deletedReason: reason, updatedAt: at }, $push: { outbox: { $each: [...outbox] } } } as Document,
      { returnDocument: "before" },
    );
  }

  /** Moves counters (and the version that orders score writes); returns the post after the change. */
  async incrementStats(id: ObjectId, inc: Record<string, number>, outbox: readonly OutboxEntry[] = []): Promise<PostDoc | null> {
    const update: Document = { $inc: { ...inc, "stats.version": 1 } };
    if (outbox.length > 0) update.$push = { outbox: { $each: [...outbox] } };
    return this.posts.findOneAndUpdate({ _id: id }, update, { returnDocument: "after" });
  }

  /** Writes the score computed from the counters at `statsVersion`, unless newer counters exist. */
  async setScore(id: ObjectId, statsVersion: number, score: number): Promise<void> {
    await this.posts.updateOne({ _id: id, "stats.version": statsVersion }, { $set: { "stats.engagementScore": score } });
  }

  async incrementViews(id: ObjectId): Promise<void> {
    await this.posts.updateOne({ _id: id }, { $inc: { "stats.views": 1 } });
  }

  /** Moves poll counters only while the poll is at `pollVersion` and open; true when they moved. */
  async countVote(id: ObjectId, pollVersion: number, optionIds: readonly string[], now: Date): Promise<boolean> {
    const inc: Record<string, number> = { "poll.voters": 1 };
    for (const option of optionIds) inc[`poll.counts.${option}`] = 1;
    const result = await this.posts.updateOne({ _id: id, "poll.version": pollVersion, "poll.closesAt": { $gt: now } }, { $inc: inc as never });
    return result.modifiedCount === 1;
  }

  /** A user's live posts of the given visibilities, newest first, after the cursor. */
  async byAuthors(userIds: readonly string[], visibilities: readonly PostVisibility[], cursor: TimeCursor | undefined, limit: number): Promise<PostDoc[]> {
    if (userIds.length === 0 || visibilities.length === 0) return [];
    const filter: Filter<PostDoc> = {
      userId: userIds.length === 1 ? (userIds[0] as string) : { $in: [...userIds] },
      visibility: visibilities.length === 1 ? (visibilities[0] as PostVisibility) : { $in: [...visibilities] },
      isDeleted: false,
      ...(cursor ? { createdAt: { $lte: new Date(cursor.at) } } : {}),
    };
    const docs = await this.posts.find(filter, { sort: { createdAt: -1, _id: -1 }, limit: limit + TIE_SLACK, comment: SCATTER.byAuthors }).toArray();
    return afterCursor(docs, cursor).slice(0, limit);
  }

  /** Live posts with a hashtag, newest first. */
  async byHashtag(tag: string, cursor: TimeCursor | undefined, limit: number): Promise<PostDoc[]> {
    const filter: Filter<PostDoc> = { hashtags: tag, ...(cursor ? { createdAt: { $lte: new Date(cursor.at) } } : {}) };
    const docs = await this.posts.find(filter, { sort: { createdAt: -1, _id: -1 }, limit: limit + TIE_SLACK, comment: SCATTER.discovery }).toArray();
    return afterCursor(docs, cursor).filter((d) => !d.isDeleted).slice(0, limit);
  }

  /** Public posts using `tag` since `since` (the trend recount). */
  async publicWithHashtagSince(tag: string, since: Date): Promise<Array<Pick<PostDoc, "_id" | "userId" | "createdAt" | "visibility" | "isDeleted">>> {
    return this.posts
      .find({ hashtags: tag, createdAt: { $gte: since } }, { projection: { _id: 1, userId: 1, createdAt: 1, visibility: 1, isDeleted: 1 }, comment: SCATTER.trends })
      .toArray();
  }

  /** Full-text search over text and hashtags, best matches first. */
  async search(query: string, limit: number): Promise<PostDoc[]> {
    return this.posts
      .find({ $text: { $search: query }, isDeleted: false }, { projection: { score: { $meta: "textScore" } }, sort: { score: { $meta: "textScore" } }, limit, comment: SCATTER.discovery })
      .toArray();
  }

  /** Live posts by trending score (engagement with time decay), best first. */
  async trending(limit: number, belowScore: number | undefined): Promise<PostDoc[]> {
    const filter: Filter<PostDoc> = {
      ...(belowScore === undefined ? {} : { "stats.engagementScore": { $lt: belowScore } }),
      visibility: "public",
      isDeleted: false,
    };
    return this.posts.find(filter, { sort: { "stats.engagementScore": -1, createdAt: -1 }, limit, comment: SCATTER.discovery }).toArray();
  }

  /** Live posts within `maxDistance` metres of a point, nearest first (2dsphere). */
  async near(longitude: number, latitude: number, maxDistance: number, limit: number): Promise<PostDoc[]> {
    return this.posts
      .find({ "location.point": { $near: { $geometry: { type: "Point", coordinates: [longitude, latitude] }, $maxDistance: maxDistance } }, isDeleted: false }, { limit, comment: SCATTER.discovery })
      .toArray();
  }

  /** Live shares of a post (count repair). */
  async countShares(postId: ObjectId): Promise<number> {
    return this.posts.countDocuments({ sharedPostId: postId, isDeleted: false }, { comment: SCATTER.repair });
  }
}
