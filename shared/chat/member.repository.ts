import type { AnyBulkWriteOperation, Collection, Db } from "mongodb";
import { isDuplicateKeyError } from "../social/duplicate-key.js";
import type { MemberRole } from "./chat.types.js";

export interface MemberDoc {
  _id: string;
  conversationId: string;
  userId: string;
  role: MemberRole;
  joinedAt: Date;
  lastReadSeq: number;
  lastDeliveredSeq: number;
  /** History at or below this seq is hidden from the member (joined later, or cleared the chat). */
  clearedSeq: number;
  receiptAt: Date;
  mutedUntil: Date | null;
  pinned: boolean;
  archived: boolean;
}

export const memberKey = (conversationId: string, userId: string): string => `${conversationId}:${userId}`;
/** One member by its key, with the conversation (the shard key) so a sharded cluster targets one shard. */
const memberFilter = (conversationId: string, userId: string) => ({ _id: memberKey(conversationId, userId), conversationId });

/** Builds a fresh member document. */
export function newMember(conversationId: string, userId: string, role: MemberRole, at: Date, fromSeq: number): MemberDoc {
  return {
    _id: memberKey(conversationId, userId),
    conversationId,
    userId,
    role,
    joinedAt: at,
    lastReadSeq: fromSeq,
    lastDeliveredSeq: fromSeq,
    clearedSeq: fromSeq,
    receiptAt: at,
    mutedUntil: null,
    pinned: false,
    archived: false,
  };
}

/** A user's archived membership, mirrored by user (`archivedChats`). */
interface ArchivedDoc {
  _id: string;
  userId: string;
  conversationId: string;
  archivedAt: Date;
}

const archivedKey = (userId: string, conversationId: string): string => `${userId}:${conversationId}`;
const REPAIR_SCAN = "scatter-gather: chat.archive-mirror-repair walks every member and mirror in _id order, weekly, off the request path";

/**
 * The `conversation_members` collection (per-member role, cursors and
 * settings, sharded by conversation) and its per-user mirror `archivedChats`
 * (sharded by user) that serves the archived tab.
 */
export class MemberRepository {
  private readonly members: Collection<MemberDoc>;
  private readonly archived: Collection<ArchivedDoc>;

  constructor(db: Db) {
    this.members = db.collection<MemberDoc>("conversation_members");
    this.archived = db.collection<ArchivedDoc>("archivedChats");
  }

  async get(conversationId: string, userId: string): Promise<MemberDoc | null> {
    return this.members.findOne(memberFilter(conversationId, userId));
  }

  /** The user's member documents for the given conversations. */
  /** Which of `userIds` muted the conversation until after `now`. */
  async mutedAmong(conversationId: string, userIds: readonly string[], now: Date): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const docs = await this.members
      .find({ conversationId, userId: { $in: [...userIds] }, mutedUntil: { $gt: now } }, { projection: { _id: 0, userId: 1 } })
      .toArray();
    return new Set(docs.map((doc) => doc.userId));
  }

  async forUser(userId: string, conversationIds: readonly string[]): Promise<MemberDoc[]> {
    if (conversationIds.length === 0) return [];
    return this.members.find({ _id: { $in: conversationIds.map((id) => memberKey(id, userId)) }, conversationId: { $in: [...conversationIds] } }).toArray();
  }

  /** Creates the members that do not exist yet; returns the user ids actually added. */
  async insertMissing(docs: readonly MemberDoc[]): Promise<string[]> {
    if (docs.length === 0) return [];
    const ops: AnyBulkWriteOperation<MemberDoc>[] = docs.map((doc) => ({
      // The conversation in the filter: a sharded cluster routes an upsert by the full shard key.
      updateOne: { filter: { _id: doc._id, conversationId: doc.conversationId }, update: { $setOnInsert: doc }, upsert: true },
    }));
    const result = await this.members.bulkWrite(ops, { ordered: false });
    return Object.keys(result.upsertedIds).map((index) => (docs[Number(index)] as MemberDoc).userId);
  }

  async remove(conversationId: string, userId: string): Promise<boolean> {
    const result = await this.members.deleteOne(memberFilter(conversationId, userId));
    // After the member: a crash in between leaves an orphan the archived tab skips and the repair drops.
    await this.archived.deleteOne({ _id: archivedKey(userId, conversationId), userId });
    return result.deletedCount === 1;
  }

  async setRole(conversationId: string, userId: string, role: MemberRole): Promise<boolean> {
    const result = await this.members.updateOne(memberFilter(conversationId, userId), { $set: { role } });
    return result.matchedCount === 1;
  }

  /**
   * Moves the read cursor forward (never back; delivered follows it) and
   * returns the document as it was before, or null if not a member.
   */
  async advanceRead(conversationId: string, userId: string, seq: number, at: Date): Promise<MemberDoc | null> {
    return this.members.findOneAndUpdate(
      memberFilter(conversationId, userId),
      { $max: { lastReadSeq: seq, lastDeliveredSeq: seq }, $set: { receiptAt: at } },
      { returnDocument: "before" },
    );
  }

  /** Moves the delivered cursor forward; returns the document as it was before, or null if not a member. */
  async advanceDelivered(conversationId: string, userId: string, seq: number, at: Date): Promise<MemberDoc | null> {
    return this.members.findOneAndUpdate(
      memberFilter(conversationId, userId),
      { $max: { lastDeliveredSeq: seq }, $set: { receiptAt: at } },
      { returnDocument: "before" },
    );
  }

  /** Hides everything up to `seq` and marks it read. */
  async clear(conversationId: string, userId: string, seq: number, at: Date): Promise<MemberDoc | null> {
    return this.members.findOneAndUpdate(
      memberFilter(conversationId, userId),
      { $max: { clearedSeq: seq, lastReadSeq: seq, lastDeliveredSeq: seq }, $set: { receiptAt: at } },
      { returnDocument: "after" },
    );
  }

  async updateSettings(
    conversationId: string,
    userId: string,
    set: Partial<Pick<MemberDoc, "mutedUntil" | "pinned" | "archived">>,
  ): Promise<MemberDoc | null> {
    const doc = await this.members.findOneAndUpdate(memberFilter(conversationId, userId), { $set: set }, { returnDocument: "after" });
    // The mirror follows the member (also when unchanged, so a retry repairs a crash between the two writes).
    if (doc && set.archived === true) await this.writeArchived(userId, conversationId, new Date());
    if (doc && set.archived === false) await this.archived.deleteOne({ _id: archivedKey(userId, conversationId), userId });
    return doc;
  }

  private async writeArchived(userId: string, conversationId: string, at: Date): Promise<void> {
    try {
      await this.archived.updateOne({ _id: archivedKey(userId, conversationId), userId }, { $setOnInsert: { conversationId, archivedAt: at } }, { upsert: true });
    } catch (error) {
      // Two racing upserts of one membership: the other one wrote it.
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /** Members in user-id order, after `afterUserId`. */
  async page(conversationId: string, afterUserId: string | undefined, limit: number): Promise<MemberDoc[]> {
    const filter = afterUserId ? { conversationId, userId: { $gt: afterUserId } } : { conversationId };
    return this.members.find(filter).sort({ conversationId: 1, userId: 1 }).limit(limit).toArray();
  }

  /** Members whose delivered or read cursor moved after `since`, oldest change first. */
  async receiptsSince(conversationId: string, since: Date | undefined, limit: number): Promise<MemberDoc[]> {
    const filter = since ? { conversationId, receiptAt: { $gt: since } } : { conversationId };
    return this.members.find(filter).sort({ conversationId: 1, receiptAt: 1 }).limit(limit).toArray();
  }

  /** Members whose read cursor reached `seq`, in cursor order. */
  /** Ids of members whose read cursor is below `seq` (they count the message as unread). */
  async unreadBy(conversationId: string, seq: number): Promise<string[]> {
    const docs = await this.members.find({ conversationId, lastReadSeq: { $lt: seq } }, { projection: { userId: 1 } }).sort({ conversationId: 1, lastReadSeq: 1 }).toArray();
    return docs.map((doc) => doc.userId);
  }

  /** Members whose read cursor covers `seq` and who were members when it was sent (`sentAt`). */
  async readersOf(conversationId: string, seq: number, sentAt: Date, limit: number): Promise<MemberDoc[]> {
    return this.members
      .find({ conversationId, lastReadSeq: { $gte: seq }, joinedAt: { $lte: sentAt } })
      .sort({ conversationId: 1, lastReadSeq: 1 })
      .limit(limit)
      .toArray();
  }

  /** The longest-serving member with the given role, other than `exceptUserId`. */
  async senior(conversationId: string, role: MemberRole, exceptUserId: string): Promise<MemberDoc | null> {
    return this.members.findOne(
      { conversationId, role, userId: { $ne: exceptUserId } },
      { sort: { conversationId: 1, role: 1, joinedAt: 1 } },
    );
  }

  /** The user's archived conversations: ids from the mirror (one shard), then the member documents (which decide). */
  async archivedFor(userId: string, limit: number): Promise<MemberDoc[]> {
    const mirrored = await this.archived.find({ userId }, { projection: { conversationId: 1 } }).sort({ userId: 1, conversationId: 1 }).limit(limit).toArray();
    return (await this.forUser(userId, mirrored.map((m) => m.conversationId))).filter((m) => m.archived);
  }

  /**
   * Makes `archivedChats` match the archived members, `batch` at a time:
   * writes missing copies (archived before the mirror existed, or a crash
   * between the two writes) and drops copies whose member is gone or unarchived.
   */
  async repairArchived(batch: number): Promise<{ written: number; orphans: number }> {
    let written = 0;
    let orphans = 0;
    let after: string | undefined;
    for (;;) {
      const filter = after ? { _id: { $gt: after } } : {};
      const page = await this.members.find(filter, { projection: { conversationId: 1, userId: 1, archived: 1 }, sort: { _id: 1 }, limit: batch, comment: REPAIR_SCAN }).toArray();
      for (const m of page.filter((d) => d.archived)) {
        const result = await this.archived.updateOne(
          { _id: archivedKey(m.userId, m.conversationId), userId: m.userId },
          { $setOnInsert: { conversationId: m.conversationId, archivedAt: new Date() } },
          { upsert: true },
        );
        written += result.upsertedCount;
      }
      if (page.length < batch) break;
      after = page[page.length - 1]!._id;
    }
    let afterMirror: string | undefined;
    for (;;) {
      const filter = afterMirror ? { _id: { $gt: afterMirror } } : {};
      const page = await this.archived.find(filter, { sort: { _id: 1 }, limit: batch, comment: REPAIR_SCAN }).toArray();
      for (const copy of page) {
        const member = await this.get(copy.conversationId, copy.userId);
        if (member?.archived) continue;
        orphans += (await this.archived.deleteOne({ _id: copy._id, userId: copy.userId })).deletedCount;
      }
      if (page.length < batch) break;
      afterMirror = page[page.length - 1]!._id;
    }
    return { written, orphans };
  }
}
