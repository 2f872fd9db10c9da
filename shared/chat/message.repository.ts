import { randomUUID } from "node:crypto";
import type { AnyOutboxEntry } from "../events/domain-events.js";
import type { Collection, Db, Filter, UpdateFilter } from "mongodb";
import { isDuplicateKeyError } from "../social/duplicate-key.js";
import type { GalleryKind, MessageContent, MessageType, QuotedMessage, ReactionEmoji } from "./chat.types.js";

/** What a page of messages leaves out: the search copy of the text, the outbox entries, the gallery shelf. */
const PAGE_PROJECTION = { searchText: 0, outbox: 0, category: 0 } as const;

export interface MessageDoc {
  _id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientMessageId: string;
  type: MessageType;
  content: MessageContent | null;
  category?: GalleryKind;
  searchText?: string;
  replyTo?: QuotedMessage;
  forwarded?: boolean;
  mentions: string[];
  /** One reaction per user, keyed by user id. */
  reactions: Record<string, { emoji: ReactionEmoji; at: Date }>;
  /** Users who deleted the message for themselves. */
  hiddenFor: string[];
  editedAt?: Date;
  deletedAt?: Date;
  createdAt: Date;
  /**
   * Set on a void: a filler that sync wrote at a seq it passed over while the
   * seq was claimed but unwritten. It takes the seq in the unique index, so
   * the late write fails and is retried under a new seq. Never shown.
   */
  void?: true;
  /** `chat.message-sent`, until it is enqueued. */
  outbox?: AnyOutboxEntry[];
}

/** Sender of void fillers: not a user id, so no real send collides with one on the clientMessageId index. */
const VOID_SENDER = "~void";
/** Everything but void fillers. */
const REAL = { void: { $exists: false } } as const;

/** The `messages` collection. Every query is bounded by conversation and served by a declared index. */
export class MessageRepository {
  private readonly messages: Collection<MessageDoc>;

  constructor(db: Db) {
    this.messages = db.collection<MessageDoc>("messages");
  }

  /**
   * Inserts the message; `false` on a duplicate key: its clientMessageId was
   * already used (a retry), or its seq was voided by a sync meanwhile.
   */
  async insert(doc: MessageDoc): Promise<boolean> {
    try {
      await this.messages.insertOne(doc);
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /**
   * Fills seqs that sync passes over with voids, one command. A seq already
   * taken (the late write landed first, or another sync voided it) is left as
   * it is: the caller reads the range again.
   */
  async voidSeqs(conversationId: string, seqs: readonly number[], at: Date): Promise<void> {
    if (seqs.length === 0) return;
    const docs: MessageDoc[] = seqs.map((seq) => ({
      _id: randomUUID(),
      conversationId,
      seq,
      senderId: VOID_SENDER,
      clientMessageId: `void:${seq}`,
      type: "system",
      content: null,
      mentions: [],
      reactions: {},
      hiddenFor: [],
      createdAt: at,
      void: true,
    }));
    try {
      await this.messages.insertMany(docs, { ordered: false });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  async findByClientId(conversationId: string, senderId: string, clientMessageId: string): Promise<MessageDoc | null> {
    return this.messages.findOne({ conversationId, senderId, clientMessageId });
  }

  async findInConversation(conversationId: string, id: string): Promise<MessageDoc | null> {
    return this.messages.findOne({ _id: id, conversationId, ...REAL });
  }

  /**
   * A page of history visible to `userId`, oldest first. `before`/`after` are
   * exclusive seq bounds; `floor` hides everything at or below it.
   */
  async history(
    conversationId: string,
    userId: string,
    range: { before?: number; after?: number; floor: number },
    limit: number,
  ): Promise<{ messages: MessageDoc[]; hasMore: boolean }> {
    const lower = Math.max(range.floor, range.after ?? 0);
    const seq: Record<string, number> = { $gt: lower };
    if (range.before !== undefined) seq.$lt = range.before;
    const filter: Filter<MessageDoc> = { conversationId, seq, hiddenFor: { $ne: userId }, ...REAL };
    const ascending = range.after !== undefined;
    const docs = await this.messages
      .find(filter)
      .sort({ conversationId: 1, seq: ascending ? 1 : -1 })
      .limit(limit + 1)
      .toArray();
    const hasMore = docs.length > limit;
    const page = docs.slice(0, limit);
    return { messages: ascending ? page : page.reverse(), hasMore };
  }

  /** Messages after `seq` in order (sync), whoever they are hidden for, voids included. */
  /**
   * A page of messages after `seq`, in one reply (`batchSize` = the page), without the
   * fields no reader of a page shows (the search copy of the text, the outbox, the gallery shelf).
   */
  async since(conversationId: string, seq: number, limit: number): Promise<MessageDoc[]> {
    return this.messages
      .find({ conversationId, seq: { $gt: seq } }, { projection: PAGE_PROJECTION, batchSize: limit })
      .sort({ conversationId: 1, seq: 1 })
      .limit(limit)
      .toArray();
  }

  /** Messages from others after a read cursor, not deleted for everyone or for the user: the unread count those cursors imply. */
  async countUnread(conversationId: string, userId: string, afterSeq: number, uptoSeq?: number): Promise<number> {
    const seq: Record<string, number> = { $gt: afterSeq };
    if (uptoSeq !== undefined) seq.$lte = uptoSeq;
    return this.messages.countDocuments({ conversationId, seq, senderId: { $ne: userId }, deletedAt: { $exists: false }, hiddenFor: { $ne: userId }, ...REAL });
  }

  async edit(conversationId: string, id: string, senderId: string, content: MessageContent, searchText: string | undefined, at: Date): Promise<MessageDoc | null> {
    const update: Record<string, unknown> = { $set: { content, editedAt: at, ...(searchText ? { searchText } : {}) } };
    if (!searchText) update.$unset = { searchText: "" };
    return this.messages.findOneAndUpdate(
      { _id: id, conversationId, senderId, deletedAt: { $exists: false } },
      update,
      { returnDocument: "after" },
    );
  }

  /** Deletes for everyone: the content goes, a tombstone stays. */
  async tombstone(conversationId: string, id: string, senderId: string, at: Date): Promise<MessageDoc | null> {
    return this.messages.findOneAndUpdate(
      { _id: id, conversationId, senderId, deletedAt: { $exists: false } },
      { $set: { content: null, deletedAt: at, reactions: {} }, $unset: { searchText: "", category: "", replyTo: "" } },
      { returnDocument: "after" },
    );
  }

  /** Replaces a call record's content if it reflects an older call version than `content`'s. */
  async replaceCallRecord(conversationId: string, id: string, content: MessageContent & { type: "call" }): Promise<boolean> {
    const version = content.call.version ?? 0;
    const result = await this.messages.updateOne(
      { _id: id, conversationId, type: "call", $or: [{ "content.call.version": { $exists: false } }, { "content.call.version": { $lt: version } }] },
      { $set: { content } },
    );
    return result.modifiedCount === 1;
  }

  async hideFor(conversationId: string, id: string, userId: string): Promise<boolean> {
    const result = await this.messages.updateOne({ _id: id, conversationId }, { $addToSet: { hiddenFor: userId } });
    return result.matchedCount === 1;
  }

  async setReaction(conversationId: string, id: string, userId: string, emoji: ReactionEmoji | null, at: Date): Promise<boolean> {
    const field = `reactions.${userId}`;
    const update: UpdateFilter<MessageDoc> = emoji ? { $set: { [field]: { emoji, at } } } : { $unset: { [field]: "" as const } };
    const result = await this.messages.updateOne({ _id: id, conversationId, deletedAt: { $exists: false } }, update);
    return result.matchedCount === 1;
  }

  /** One gallery shelf of a conversation, newest first. */
  async gallery(conversationId: string, userId: string, kind: GalleryKind, floor: number, before: number | undefined, limit: number): Promise<{ messages: MessageDoc[]; hasMore: boolean }> {
    const seq: Record<string, number> = { $gt: floor };
    if (before !== undefined) seq.$lt = before;
    const docs = await this.messages
      .find({ conversationId, category: kind, seq, hiddenFor: { $ne: userId } })
      .sort({ conversationId: 1, category: 1, seq: -1 })
      .limit(limit + 1)
      .toArray();
    return { messages: docs.slice(0, limit), hasMore: docs.length > limit };
  }

  /** Full-text search within the given conversations, newest first. */
  async search(
    query: string,
    conversationIds: readonly string[],
    userId: string,
    before: { at: Date; id: string } | undefined,
    limit: number,
  ): Promise<MessageDoc[]> {
    const filter: Filter<MessageDoc> = {
      $text: { $search: query },
      conversationId: { $in: [...conversationIds] },
      hiddenFor: { $ne: userId },
    };
    if (before) filter.$or = [{ createdAt: { $lt: before.at } }, { createdAt: before.at, _id: { $lt: before.id } }];
    return this.messages.find(filter).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray();
  }
}
