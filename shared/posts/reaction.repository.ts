import { type ObjectId, type Collection, type Db } from "mongodb";
import { isDuplicateKeyError } from "../social/duplicate-key.js";
import type { ReactionType } from "./post.types.js";

export interface ReactionDoc {
  _id: ObjectId;
  targetId: ObjectId;
  targetType: "post" | "comment";
  /** The post a comment reaction belongs to (the post itself for post reactions). */
  postId: ObjectId;
  userId: string;
  type: ReactionType;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * The only code that touches `reactions`: one document per (target, user), so
 * each write can say exactly what changed (nothing, a new reaction, a replaced
 * type, a removal) and counters move by that alone.
 */
export class ReactionRepository {
  private readonly reactions: Collection<ReactionDoc>;

  constructor(db: Db) {
    this.reactions = db.collection<ReactionDoc>("reactions");
  }

  /** Sets the user's reaction; returns the type it had before (null: none). */
  async set(target: { id: ObjectId; type: "post" | "comment"; postId: ObjectId }, userId: string, type: ReactionType): Promise<ReactionType | null> {
    for (let attempt = 0; ; attempt++) {
      const now = new Date();
      try {
        const before = await this.reactions.findOneAndUpdate(
          { targetId: target.id, userId },
          { $set: { type, updatedAt: now }, $setOnInsert: { targetType: target.type, postId: target.postId, createdAt: now } },
          { upsert: true, returnDocument: "before" },
        );
        return before?.type ?? null;
      } catch (error) {
        // Two first reactions of the same user raced on the unique index: the loser replaces.
        if (!isDuplicateKeyError(error) || attempt >= 2) throw error;
      }
    }
  }

  /** Removes the user's reaction; returns its type (null: there was none). */
  async remove(targetId: ObjectId, userId: string): Promise<ReactionType | null> {
    const removed = await this.reactions.findOneAndDelete({ targetId, userId });
    return removed?.type ?? null;
  }

  /** The viewer's reaction on each of `targetIds` that has one. */
  async mine(userId: string, targetIds: readonly ObjectId[]): Promise<Map<string, ReactionType>> {
    if (targetIds.length === 0) return new Map();
    const docs = await this.reactions.find({ targetId: { $in: [...targetIds] }, userId }, { projection: { targetId: 1, type: 1 } }).toArray();
    return new Map(docs.map((d) => [d.targetId.toHexString(), d.type]));
  }

  /** Who reacted, newest first, optionally of one type. */
  async page(targetId: ObjectId, type: ReactionType | undefined, beforeId: ObjectId | undefined, limit: number): Promise<ReactionDoc[]> {
    return this.reactions
      .find({ targetId, ...(type ? { type } : {}), ...(beforeId ? { _id: { $lt: beforeId } } : {}) }, { sort: { _id: -1 }, limit })
      .toArray();
  }

  /** Reactions of a type on a target, counted from the documents (tests and counter repair). */
  async count(targetId: ObjectId, type: ReactionType): Promise<number> {
    return this.reactions.countDocuments({ targetId, type });
  }
}
