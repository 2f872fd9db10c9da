import { randomUUID } from "node:crypto";
import type { Actor } from "../auth/actor.js";
import type { ConversationRepository, SeqClaim } from "./conversation.repository.js";
import type { MemberRepository } from "./member.repository.js";
import type { MessageRepository, MessageDoc } from "./message.repository.js";
import type { ChangeRepository, ChangeDoc } from "./change.repository.js";
import type { UnreadRepository } from "./unread.repository.js";
import type { MemberListCache } from "./member-list.cache.js";
import type { Realtime } from "../runtime/socket-events.js";
import { conversationNotFound, listAt, listIncluding, messageMediaRef, messageNotFound, visibleMessage, type ChatMedia } from "./chat-rules.js";
import type { Logger } from "../logging/logger.js";
import { AppError } from "../errors/app-error.js";
import { toChange } from "./chat.mappers.js";
import type { DeleteMessageInput, EditMessageInput, ReactInput } from "./chat.schema.js";
import type { CallRecord, MessageContent, MessageUpdate } from "./chat.types.js";
import { attachmentOf, previewOf, searchTextOf } from "./message-content.schema.js";

/** Seq claims one change tries when syncs keep voiding its late writes. */
const MAX_RECORD_ATTEMPTS = 4;

/** Types whose text (body or caption) can be edited. */
const EDITABLE = new Set<MessageContent["type"]>(["text", "image", "video", "file", "gif"]);

/**
 * Edits, deletions and reactions. Each takes the conversation's next seq and
 * is recorded in `message_changes`, so a device that was away replays them in
 * order through sync; online devices get `chat:message-updated`.
 */
export class MessageChangeService {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly members: MemberRepository,
    private readonly messages: MessageRepository,
    private readonly changes: ChangeRepository,
    private readonly unread: UnreadRepository,
    private readonly memberLists: MemberListCache,
    private readonly realtime: Pick<Realtime, "toUsers">,
    private readonly media: ChatMedia,
    private readonly logger: Logger,
  ) {}

  async edit(actor: Actor, input: EditMessageInput): Promise<MessageUpdate> {
    const actorId = actor.userId;
    await listIncluding(this.memberLists, input.conversationId, actorId);
    const message = await this.visible(input.conversationId, input.messageId, actorId);
    if (message.deletedAt) throw messageNotFound();
    if (message.senderId !== actorId) throw new AppError("FORBIDDEN", "Only the sender can edit a message");
    if (!message.content || !EDITABLE.has(message.content.type)) throw new AppError("BAD_REQUEST", "This message has no text to edit");
    const content = { ...message.content, text: input.text } as MessageContent;
    const claim = await this.claim(input.conversationId, actorId);
    const now = new Date();
    const edited = await this.messages.edit(input.conversationId, input.messageId, actorId, content, searchTextOf(content), now);
    if (!edited) return this.voided(input.conversationId, claim, actorId);
    await this.conversations.refreshLastMessage(input.conversationId, input.messageId, previewOf(content), false);
    return this.record(claim, { kind: "edited", messageId: input.messageId, data: { content } }, actorId, now);
  }

  /**
   * "For me" hides the message from the caller's devices only. "For everyone"
   * leaves a tombstone; the sender may do it, and so may a group's admins.
   */
  async delete(actor: Actor, input: DeleteMessageInput): Promise<MessageUpdate> {
    const actorId = actor.userId;
    const list = await listIncluding(this.memberLists, input.conversationId, actorId);
    const message = await this.visible(input.conversationId, input.messageId, actorId);
    const now = new Date();
    if (input.scope === "me") {
      const claim = await this.claim(input.conversationId, actorId);
      await this.messages.hideFor(input.conversationId, input.messageId, actorId);
      return this.record(claim, { kind: "deleted", messageId: input.messageId, data: { scope: "me" } }, actorId, now, actorId);
    }
    if (message.deletedAt) throw messageNotFound();
    if (message.senderId !== actorId) {
      const member = list.type === "group" ? await this.members.get(input.conversationId, actorId) : null;
      if (!member || member.role === "member") throw new AppError("FORBIDDEN", "Only the sender or a group admin can delete this for everyone");
    }
    const claim = await this.claim(input.conversationId, actorId);
    const tombstone = await this.messages.tombstone(input.conversationId, input.messageId, message.senderId, now);
    if (!tombstone) return this.voided(input.conversationId, claim, actorId);
    await this.conversations.refreshLastMessage(input.conversationId, input.messageId, previewOf(null), true);
    await this.forgetUnread(input.conversationId, message);
    const mediaId = attachmentOf(message.content);
    if (mediaId) {
      await this.media.detach(mediaId, messageMediaRef(input.messageId)).catch((error: unknown) => this.logger.warn({ err: error, mediaId }, "attachment not released"));
    }
    return this.record(claim, { kind: "deleted", messageId: input.messageId, data: { scope: "everyone" } }, actorId, now);
  }

  async react(actor: Actor, input: ReactInput): Promise<MessageUpdate> {
    const actorId = actor.userId;
    await listIncluding(this.memberLists, input.conversationId, actorId);
    const message = await this.visible(input.conversationId, input.messageId, actorId);
    if (message.deletedAt) throw messageNotFound();
    const claim = await this.claim(input.conversationId, actorId);
    const now = new Date();
    if (!(await this.messages.setReaction(input.conversationId, input.messageId, actorId, input.emoji, now))) {
      return this.voided(input.conversationId, claim, actorId);
    }
    return this.record(claim, { kind: "reaction", messageId: input.messageId, data: { emoji: input.emoji } }, actorId, now);
  }

  /**
   * A message deleted for everyone no longer counts as unread: the counters of
   * members who had not read it are dropped and rebuilt from the store (which
   * skips deleted messages) on their next read. A failure only leaves a
   * counter high until it expires.
   */
  private async forgetUnread(conversationId: string, message: MessageDoc): Promise<void> {
    try {
      const userIds = (await this.members.unreadBy(conversationId, message.seq)).filter((id) => id !== message.senderId);
      await this.unread.removeMany(userIds, conversationId);
    } catch (error) {
      this.logger.warn({ err: error, conversationId }, "unread counters not adjusted after a deletion");
    }
  }

  /**
   * Updates a call's record in place as the call moves (ringing → answered /
   * missed / declined...): the seam the calls domain reports through after
   * `postCallRecord`. Only a record of an older call version is replaced, so
   * reports that race keep the latest; the change is recorded like an edit, so
   * devices that were away replay it through sync. "missing" when no record
   * was posted yet, "unchanged" when it already reflects this version or a later one.
   */
  async updateCallRecord(conversationId: string, record: CallRecord): Promise<MessageUpdate | "missing" | "unchanged"> {
    const message = await this.messages.findByClientId(conversationId, record.initiatorId, `call:${record.callId}`);
    if (!message) return "missing";
    if (message.content?.type !== "call" || (message.content.call.version ?? 0) >= (record.version ?? 0)) return "unchanged";
    const claim = await this.claim(conversationId, record.initiatorId);
    const content = { type: "call" as const, call: record };
    if (!(await this.messages.replaceCallRecord(conversationId, message._id, content))) {
      await this.changes.insert({ _id: randomUUID(), conversationId, seq: claim.seq, kind: "void", actorId: record.initiatorId, at: new Date() });
      return "unchanged";
    }
    await this.conversations.refreshLastMessage(conversationId, message._id, previewOf(content), false);
    return this.record(claim, { kind: "edited", messageId: message._id, data: { content } }, record.initiatorId, new Date());
  }

  private async visible(conversationId: string, messageId: string, actorId: string): Promise<MessageDoc> {
    return visibleMessage(this.messages, this.members, conversationId, messageId, actorId);
  }

  private async claim(conversationId: string, actorId: string): Promise<SeqClaim & { conversationId: string }> {
    const claim = await this.conversations.claimSeq(conversationId, actorId);
    if (!claim) throw conversationNotFound();
    return { ...claim, conversationId };
  }

  /** Stores the change at its claimed seq and tells the members' devices (or only the actor's). */
  private async record(
    initialClaim: SeqClaim & { conversationId: string },
    change: Pick<ChangeDoc, "kind" | "messageId" | "data">,
    actorId: string,
    at: Date,
    onlyFor?: string,
  ): Promise<MessageUpdate> {
    let claim = initialClaim;
    const doc = { _id: randomUUID(), conversationId: claim.conversationId, seq: claim.seq, actorId, at, ...change } as ChangeDoc;
    if (onlyFor) doc.onlyFor = onlyFor;
    for (let attempt = 1; !(await this.changes.tryInsert(doc)); attempt++) {
      // The seq was voided by a sync that passed over it while this write was late: take a new one.
      if (attempt === MAX_RECORD_ATTEMPTS) throw new AppError("UNAVAILABLE", "The change could not be recorded; try again");
      claim = await this.claim(claim.conversationId, actorId);
      doc.seq = claim.seq;
    }
    const update = toChange(doc) as MessageUpdate;
    const audience = onlyFor ? [onlyFor] : await listAt(this.memberLists, claim.conversationId, claim.membersVersion);
    this.realtime.toUsers(audience, "chat:message-updated", update);
    return update;
  }

  /** The message vanished between the check and the write: its claimed seq carries nothing. */
  private async voided(conversationId: string, claim: SeqClaim, actorId: string): Promise<never> {
    await this.changes.insert({ _id: randomUUID(), conversationId, seq: claim.seq, kind: "void", actorId, at: new Date() });
    throw messageNotFound();
  }
}
