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

  /** Records a change. Idempotent on `(conversationId, seq)`: a replay of the same seq is ignored. */
  async insert(doc: ChangeDoc): Promise<void> {
    try {
      await this.changes.insertOne(doc);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /** Changes after `seq`, in order. */
  async since(conversationId: string, seq: number, limit: number): Promise<ChangeDoc[]> {
    return this.changes
      .find({ conversationId, seq: { $gt: seq } })
      .sort({ conversationId: 1, seq: 1 })
      .limit(limit)
      .toArray();
  }
}
