import type { Collection, Db } from "mongodb";
import { isDuplicateKeyError } from "../social/duplicate-key.js";
import type { OutboxEntry } from "./video-events.port.js";

interface LikeDoc {
  _id: string;
  videoId: string;
  userId: string;
  createdAt: Date;
  outbox?: OutboxEntry[];
}

export interface CommentDoc {
  _id: string;
  videoId: string;
  userId: string;
  text: string;
  isDeleted: boolean;
  createdAt: Date;
  outbox?: OutboxEntry[];
}

/**
 * Likes, shares and comments of videos. Each document's `_id` is deterministic
 * (`{videoId}:{userId}` for likes and shares, `{userId}:{clientId}` for
 * comments), so a retried request stores one and moves a counter once.
 */
export class VideoEngagementRepository {
  private readonly likes: Collection<LikeDoc>;
  private readonly shares: Collection<LikeDoc>;
  private readonly comments: Collection<CommentDoc>;

  constructor(db: Db) {
    this.likes = db.collection<LikeDoc>("video_likes");
    this.shares = db.collection<LikeDoc>("video_shares");
    this.comments = db.collection<CommentDoc>("video_comments");
  }

  /** True when this call created the like (false: it existed). */
  async like(videoId: string, userId: string, now: Date, outbox: OutboxEntry[] = []): Promise<boolean> {
    return insertOnce(this.likes, { _id: `${videoId}:${userId}`, videoId, userId, createdAt: now, ...(outbox.length > 0 ? { outbox } : {}) });
  }

  /** True when this call removed the like. */
  async unlike(videoId: string, userId: string): Promise<boolean> {
    return (await this.likes.deleteOne({ _id: `${videoId}:${userId}`, videoId })).deletedCount === 1;
  }

  async hasLiked(videoId: string, userId: string): Promise<boolean> {
    return (await this.likes.findOne({ _id: `${videoId}:${userId}`, videoId }, { projection: { _id: 1 } })) !== null;
  }

  /** A user's share of a video counts once. */
  async share(videoId: string, userId: string, now: Date, outbox: OutboxEntry[] = []): Promise<boolean> {
    return insertOnce(this.shares, { _id: `${videoId}:${userId}`, videoId, userId, createdAt: now, ...(outbox.length > 0 ? { outbox } : {}) });
  }

  async addComment(doc: CommentDoc): Promise<{ created: boolean; comment: CommentDoc }> {
    if (await insertOnce(this.comments, doc)) return { created: true, comment: doc };
    const existing = await this.comments.findOne({ _id: doc._id, videoId: doc.videoId });
    return { created: false, comment: existing ?? doc };
  }

  /** One comment of a video (the video is the shard key). */
  async findComment(videoId: string, id: string): Promise<CommentDoc | null> {
    return this.comments.findOne({ _id: id, videoId });
  }

  /** True when this call deleted it. */
  async deleteComment(videoId: string, id: string): Promise<boolean> {
    return (await this.comments.updateOne({ _id: id, videoId, isDeleted: false }, { $set: { isDeleted: true } })).modifiedCount === 1;
  }

  /** Oldest first, after a creation time. */
  async listComments(videoId: string, after: Date | undefined, limit: number): Promise<CommentDoc[]> {
    return this.comments
      .find({ videoId, createdAt: { $gt: after ?? new Date(0) }, isDeleted: false })
      .sort({ createdAt: 1, _id: 1 })
      .limit(limit)
      .toArray();
  }

  /** Exact counts from the source documents (the weekly repair). */
  async counts(videoId: string): Promise<{ likeCount: number; shareCount: number; commentCount: number }> {
    const [likeCount, shareCount, commentCount] = await Promise.all([
      this.likes.countDocuments({ videoId }),
      this.shares.countDocuments({ videoId }),
      this.comments.countDocuments({ videoId, isDeleted: false }),
    ]);
    return { likeCount, shareCount, commentCount };
  }
}

async function insertOnce<T extends { _id: string }>(collection: Collection<T>, doc: T): Promise<boolean> {
  try {
    await collection.insertOne(doc as Parameters<Collection<T>["insertOne"]>[0]);
    return true;
  } catch (error) {
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
}
