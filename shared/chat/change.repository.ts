import { randomUUID } from "node:crypto";
import type { Collection, Db } from "mongodb";
import { isDuplicateKeyError } from "../social/duplicate-key.js";
import type { MessageContent, ReactionEmoji } from "./chat.types.js";

export type ChangeDoc = {
  _id: string;
  conversationId: string;
  seq: number;
  actorId: string;
  at: Date;
  /** Set for changes only one member may see (deleting a message for oneself). */
  onlyFor?: string;
} & (
  | { kind: "edited"; messageId: string; data: { content: MessageContent } }
  | { kind: "deleted"; messageId: string; data: { scope: "everyone" | "me" } }
  | { kind: "reaction"; messageId: string; data: { emoji: ReactionEmoji | null } }
  | { kind: "void"; messageId?: undefined; data?: undefined }
);

/** The `message_changes` collection: edits, deletions and reactions, each at its own conversation seq. */
export class ChangeRepository {
  private readonly changes: Collection<ChangeDoc>;

  constructor(db: Db) {
    this.changes = db.collection<ChangeDoc>("message_changes");
  }

  /** Records a void filler. Idempotent on `(conversationId, seq)`: a seq already taken is left as it is. */
  async insert(doc: ChangeDoc): Promise<void> {
    await this.tryInsert(doc);
  }

  /** Records a change at its seq; `false` when the seq is taken (a sync voided it meanwhile). */
  async tryInsert(doc: ChangeDoc): Promise<boolean> {
    try {
      await this.changes.insertOne(doc);
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /** Fills seqs that sync passes over with voids, one command; seqs already taken are left as they are. */
  async voidSeqs(conversationId: string, seqs: readonly number[], actorId: string, at: Date): Promise<void> {
    if (seqs.length === 0) return;
    const docs: ChangeDoc[] = seqs.map((seq) => ({ _id: randomUUID(), conversationId, seq, kind: "void", actorId, at }));
    try {
      await this.changes.insertMany(docs, { ordered: false });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /** Changes after `seq`, in order. */
  async since(conversationId: string, seq: number, limit: number): Promise<ChangeDoc[]> {
    return this.changes
      .find({ conversationId, seq: { $gt: seq } }, { batchSize: limit })
      .sort({ conversationId: 1, seq: 1 })
      .limit(limit)
      .toArray();
  }
}
