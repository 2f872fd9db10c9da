import type { Collection, Db, Document, Filter, ObjectId } from "mongodb";
import type { OutboxEntry } from "./posts.deps.js";
import { isDuplicateKeyError } from "../social/duplicate-key.js";
import type { CommentDoc } from "./comment.types.js";

/** The only code that touches `comments`. Every list is one range of the (postId, …, sortKey) indexes. */
export class CommentRepository {
  private readonly comments: Collection<CommentDoc>;

  constructor(db: Db) {
    this.comments = db.collection<CommentDoc>("comments");
  }

  /** Inserts; a clientId the author already used returns the first comment instead. */
  async insert(doc: CommentDoc): Promise<{ comment: CommentDoc; inserted: boolean }> {
    try {
      await this.comments.insertOne(doc);
      return { comment: doc, inserted: true };
    } catch (error) {
      if (!isDuplicateKeyError(error) || doc.clientId === undefined) throw error;
      const existing = await this.comments.findOne({ postId: doc.postId, userId: doc.userId, clientId: doc.clientId });
      if (!existing) throw error;
      return { comment: existing, inserted: false };
    }
  }

  async findById(postId: ObjectId, id: ObjectId): Promise<CommentDoc | null> {
    return this.comments.findOne({ postId, _id: id });
  }

  /** A page of the whole thread, depth first, after `afterSortKey`. */
  async thread(postId: ObjectId, afterSortKey: string | undefined, limit: number): Promise<CommentDoc[]> {
    const filter: Filter<CommentDoc> = { postId, ...(afterSortKey === undefined ? {} : { sortKey: { $gt: afterSortKey } }) };
    return this.comments.find(filter, { sort: { sortKey: 1 }, limit }).toArray();
  }

  /** The direct replies of `parentId` (null: top-level comments), in order. */
  async children(postId: ObjectId, parentId: ObjectId | null, afterSortKey: string | undefined, limit: number): Promise<CommentDoc[]> {
    const filter: Filter<CommentDoc> = { postId, parentId, ...(afterSortKey === undefined ? {} : { sortKey: { $gt: afterSortKey } }) };
    return this.comments.find(filter, { sort: { postId: 1, parentId: 1, sortKey: 1 }, limit }).toArray();
  }

  /** Replaces the text of a live comment; returns it after, or null (gone, or not the author's). */
  async editText(postId: ObjectId, id: ObjectId, userId: string, text: string, mentions: string[], at: Date): Promise<CommentDoc | null> {
    return this.comments.findOneAndUpdate(
      { postId, _id: id, userId, isDeleted: false },
      { $set: { text, mentions, editedAt: at, updatedAt: at } },
      { returnDocument: "after" },
    );
  }

  /** Soft-deletes, keeping the placeholder in the thread; returns it as it was for the one write that did it. */
  async markDeleted(postId: ObjectId, id: ObjectId, at: Date): Promise<CommentDoc | null> {
    return this.comments.findOneAndUpdate(
      { postId, _id: id, isDeleted: false },
      { $set: { isDeleted: true, text: "", mentions: [], deletedAt: at, updatedAt: at } },
      { returnDocument: "before" },
    );
  }

  async incrementStats(postId: ObjectId, id: ObjectId, inc: Record<string, number>, outbox: readonly OutboxEntry[] = []): Promise<void> {
    const update: Document = { $inc: inc };
    if (outbox.length > 0) update.$push = { outbox: { $each: [...outbox] } };
    await this.comments.updateOne({ postId, _id: id }, update);
  }

  /** Live comments of a post and live replies of one comment (tests and counter repair). */
  async countLive(postId: ObjectId, parentId?: ObjectId): Promise<number> {
    return this.comments.countDocuments({ postId, ...(parentId ? { parentId } : {}), isDeleted: false });
  }
}
