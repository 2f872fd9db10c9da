import type { AnyOutboxEntry } from "../events/domain-events.js";
import type { Collection, Db, Filter } from "mongodb";
import { isDuplicateKeyError } from "../social/duplicate-key.js";
import type { ConversationType, MessageType } from "./chat.types.js";

export interface LastMessageDoc {
  id: string;
  senderId: string;
  type: MessageType;
  preview: string;
  deleted?: boolean;
  createdAt: Date;
}

/** A group's avatar: an upload of purpose `avatar`, its public URLs, and this use's reference on it. */
export interface GroupAvatarDoc {
  mediaId: string;
  url: string;
  thumbnailUrl: string;
  ref: string;
}

export interface ConversationDoc {
  _id: string;
  /** `chat.member-added`, until it is enqueued. */
  outbox?: AnyOutboxEntry[];
  type: ConversationType;
  directKey?: string;
  directMembers?: string[];
  memberIds: string[];
  memberCount: number;
  membersVersion: number;
  title?: string;
  description?: string;
  /** The display URL of the group's avatar (what lists show); a URL stored before avatars were uploads stays until replaced. */
  avatarUrl?: string;
  /** The group's avatar upload (`GroupAvatarService`). */
  avatar?: GroupAvatarDoc;
  ownerId?: string;
  createdBy: string;
  lastSeq: number;
  lastMessage: LastMessageDoc | null;
  lastMessageAt: Date;
  /** When the last seq was claimed: sync settles a gap left by a write that never landed after this long. */
  lastSeqAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** A conversation without its (possibly 10,000-long) member list. */
export type ConversationHead = Omit<ConversationDoc, "memberIds">;

/** What a seq claim returns: the new seq and what the caller needs to fan out. */
export interface SeqClaim {
  seq: number;
  type: ConversationType;
  membersVersion: number;
  memberCount: number;
}

const HEAD = { projection: { memberIds: 0 } } as const;
const CLAIM = { projection: { lastSeq: 1, type: 1, membersVersion: 1, memberCount: 1 } } as const;

/** The `conversations` collection: metadata, membership, the seq counter and the last-message snapshot. */
export class ConversationRepository {
  private readonly conversations: Collection<ConversationDoc>;

  constructor(db: Db) {
    this.conversations = db.collection<ConversationDoc>("conversations");
  }

  async insert(doc: ConversationDoc): Promise<void> {
    await this.conversations.insertOne(doc);
  }

  /**
   * Returns the direct conversation of a pair, creating it if missing. Two
   * concurrent creators race on the unique `directKey`; the loser reads the winner's.
   */
  async upsertDirect(doc: ConversationDoc): Promise<{ conversation: ConversationHead; created: boolean }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const result = await this.conversations.findOneAndUpdate(
          { directKey: doc.directKey },
          { $setOnInsert: doc },
          { upsert: true, returnDocument: "after", includeResultMetadata: true, ...HEAD },
        );
        if (result.value) return { conversation: result.value, created: result.lastErrorObject?.updatedExisting === false };
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      const existing = await this.conversations.findOne({ directKey: doc.directKey }, HEAD);
      if (existing) return { conversation: existing, created: false };
    }
    throw new Error(`direct conversation ${doc.directKey ?? ""} could not be created or read`);
  }

  async findHead(id: string): Promise<ConversationHead | null> {
    return this.conversations.findOne({ _id: id }, HEAD);
  }

  /** The conversation if `userId` is a member of it; null otherwise (indistinguishable from missing). */
  async findHeadForMember(id: string, userId: string): Promise<ConversationHead | null> {
    return this.conversations.findOne({ _id: id, memberIds: userId }, HEAD);
  }

  async findHeads(ids: readonly string[]): Promise<ConversationHead[]> {
    if (ids.length === 0) return [];
    return this.conversations.find({ _id: { $in: [...ids] } }, HEAD).toArray();
  }

  /** Those of the conversations that `userId` is a member of. */
  async findHeadsForMember(ids: readonly string[], userId: string): Promise<ConversationHead[]> {
    if (ids.length === 0) return [];
    return this.conversations.find({ _id: { $in: [...ids] }, memberIds: userId }, HEAD).toArray();
  }

  async memberList(id: string): Promise<{ memberIds: string[]; membersVersion: number; type: ConversationType } | null> {
    return this.conversations.findOne({ _id: id }, { projection: { memberIds: 1, membersVersion: 1, type: 1 } });
  }

  /**
   * Takes the next seq of the conversation if `userId` is a member — membership
   * and the counter in one atomic command. A message send also sets the
   * last-message snapshot and moves the conversation up the chat lists.
   */
  async claimSeq(id: string, userId: string, lastMessage?: LastMessageDoc): Promise<SeqClaim | null> {
    const update = lastMessage
      ? { $inc: { lastSeq: 1 }, $set: { lastMessage, lastMessageAt: lastMessage.createdAt, lastSeqAt: lastMessage.createdAt, updatedAt: lastMessage.createdAt } }
      : { $inc: { lastSeq: 1 }, $set: { lastSeqAt: new Date() } };
    const doc = await this.conversations.findOneAndUpdate({ _id: id, memberIds: userId }, update, { returnDocument: "after", ...CLAIM });
    return doc ? { seq: doc.lastSeq, type: doc.type, membersVersion: doc.membersVersion, memberCount: doc.memberCount } : null;
  }

  /** Rewrites the chat-list snapshot after an edit or deletion, if that message is still the last one. */
  async refreshLastMessage(id: string, messageId: string, preview: string, deleted: boolean): Promise<void> {
    await this.conversations.updateOne(
      { _id: id, "lastMessage.id": messageId },
      { $set: { "lastMessage.preview": preview, "lastMessage.deleted": deleted } },
    );
  }

  /** Puts back the snapshot of `snapshot`'s message where a failed send had replaced it with `burnedId`. */
  async restoreLastMessage(id: string, burnedId: string, snapshot: LastMessageDoc): Promise<void> {
    await this.conversations.updateOne({ _id: id, "lastMessage.id": burnedId }, { $set: { lastMessage: snapshot } });
  }

  /** A page of the user's conversations, most recent activity first. */
  async pageForMember(userId: string, after: { at: Date; id: string } | undefined, limit: number): Promise<ConversationHead[]> {
    const filter: Filter<ConversationDoc> = after
      ? { memberIds: userId, $or: [{ lastMessageAt: { $lt: after.at } }, { lastMessageAt: after.at, _id: { $lt: after.id } }] }
      : { memberIds: userId };
    return this.conversations.find(filter, HEAD).sort({ lastMessageAt: -1, _id: -1 }).limit(limit).toArray();
  }

  /** Ids of every conversation the user is in (search scope), newest activity first. */
  async idsForMember(userId: string, limit: number): Promise<string[]> {
    const docs = await this.conversations
      .find({ memberIds: userId }, { projection: { _id: 1 } })
      .sort({ lastMessageAt: -1, _id: -1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => d._id);
  }

  /** Adds users none of whom is a member yet, keeping `memberCount` within the cap; false if that did not hold. */
  async addMembers(id: string, userIds: readonly string[], maxMembers: number, at: Date, outbox: AnyOutboxEntry[] = []): Promise<boolean> {
    const result = await this.conversations.updateOne(
      // All-or-nothing: if any of them joined meanwhile, nothing changes and the caller re-reads.
      { _id: id, type: "group", memberIds: { $nin: [...userIds] }, memberCount: { $lte: maxMembers - userIds.length } },
      {
        $addToSet: { memberIds: { $each: [...userIds] } },
        $inc: { memberCount: userIds.length, membersVersion: 1 },
        $set: { updatedAt: at },
        ...(outbox.length > 0 ? { $push: { outbox: { $each: outbox } } } : {}),
      },
    );
    return result.matchedCount === 1;
  }

  /** Removes one member; false when they were not in the list. */
  async removeMember(id: string, userId: string, at: Date): Promise<boolean> {
    const result = await this.conversations.updateOne(
      { _id: id, memberIds: userId },
      { $pull: { memberIds: userId }, $inc: { memberCount: -1, membersVersion: 1 }, $set: { updatedAt: at } },
    );
    return result.modifiedCount === 1;
  }

  /**
   * Compare-and-set of a group's avatar (`expectedMediaId` null: none now), with
   * the release of the previous one in the outbox of the same write; false when it changed meanwhile.
   */
  async replaceGroupAvatar(id: string, expectedMediaId: string | null, avatar: GroupAvatarDoc | null, outbox: AnyOutboxEntry[], at: Date): Promise<boolean> {
    const update: Record<string, unknown> = avatar
      ? { $set: { avatar, avatarUrl: avatar.url, updatedAt: at } }
      : { $set: { updatedAt: at }, $unset: { avatar: "", avatarUrl: "" } };
    if (outbox.length > 0) update.$push = { outbox: { $each: outbox } };
    const result = await this.conversations.updateOne({ _id: id, type: "group", "avatar.mediaId": expectedMediaId }, update);
    return result.modifiedCount === 1;
  }

  async updateGroup(id: string, set: Partial<Pick<ConversationDoc, "title" | "description" | "avatar" | "avatarUrl" | "ownerId">>, unset: string[], at: Date): Promise<void> {
    const update: Record<string, unknown> = { $set: { ...set, updatedAt: at } };
    if (unset.length > 0) update.$unset = Object.fromEntries(unset.map((field) => [field, ""]));
    await this.conversations.updateOne({ _id: id, type: "group" }, update);
  }
}
