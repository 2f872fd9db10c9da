import { randomUUID } from "node:crypto";
import { AppError } from "../errors/app-error.js";
import { conversationNotFound, isVisibleTo, listIncluding, listAt, messageNotFound, visibleMessage, type ChatDeps } from "./chat.deps.js";
import { toMessage } from "./chat.mappers.js";
import type { SendMessageInput } from "./chat.schema.js";
import type { CallRecord, ChatMessage, MessageContent, QuotedMessage, SendResult, SystemNote } from "./chat.types.js";
import type { LastMessageDoc } from "./conversation.repository.js";
import type { MemberList } from "./member-list.cache.js";
import type { MessageDoc } from "./message.repository.js";
import { galleryKindOf, previewOf, searchTextOf } from "./message-content.schema.js";
import { RecentSendsCache } from "./recent-sends.cache.js";

/** A message about to be stored. */
interface Draft {
  clientMessageId: string;
  content: MessageContent;
  replyTo?: QuotedMessage;
  forwarded?: boolean;
  mentions: string[];
}

/**
 * Sending: the one write path of every message, whether it comes from REST,
 * the gateway, a group change (system lines) or the calls domain (call records).
 *
 * Per plain send: one MongoDB command claims the next seq (checking membership
 * in the same command), one inserts the message, one Redis round trip bumps
 * the recipients' unread counters; the push is one adapter publish per
 * member's user room up to 8 members, else one on the adapter's shared channel.
 */
export class MessageService {
  private readonly recent = new RecentSendsCache();

  constructor(private readonly deps: ChatDeps) {}

  async send(actorId: string, input: SendMessageInput): Promise<SendResult> {
    const remembered = this.recent.get(actorId, input.conversationId, input.clientMessageId);
    if (remembered) return remembered;
    const list = await listIncluding(this.deps, input.conversationId, actorId);
    if (list.type === "direct") await this.requireMayMessage(actorId, list);
    const content = input.forwardFromId ? await this.forwardable(actorId, input.forwardFromId) : (input.content as MessageContent);
    const draft: Draft = {
      clientMessageId: input.clientMessageId,
      content,
      mentions: [...new Set(input.mentions ?? [])].filter((id) => id !== actorId && list.memberIds.includes(id)),
    };
    if (input.forwardFromId) draft.forwarded = true;
    if (input.replyToId) draft.replyTo = await this.quote(actorId, input.conversationId, input.replyToId);
    const { message, duplicate } = await this.store(actorId, input.conversationId, list, draft);
    const result: SendResult = {
      id: message.id,
      seq: message.seq,
      createdAt: message.createdAt,
      conversationId: message.conversationId,
      clientMessageId: message.clientMessageId,
      duplicate,
    };
    this.recent.remember(actorId, result);
    return result;
  }

  /** Writes a system line ("Ann added Bob") as `actorId`, who must still be a member. */
  async postSystem(conversationId: string, actorId: string, note: SystemNote): Promise<ChatMessage | null> {
    const list = await this.deps.memberLists.load(conversationId);
    if (!list || !list.memberIds.includes(actorId)) return null;
    const draft: Draft = { clientMessageId: `system:${randomUUID()}`, content: { type: "system", system: note }, mentions: [] };
    return (await this.store(actorId, conversationId, list, draft)).message;
  }

  /**
   * Writes the record of a call into its conversation, once per call: the
   * call id is the idempotency key, so a repeated report returns the first record.
   */
  async postCallRecord(conversationId: string, record: CallRecord): Promise<ChatMessage> {
    const list = await listIncluding(this.deps, conversationId, record.initiatorId);
    const draft: Draft = { clientMessageId: `call:${record.callId}`, content: { type: "call", call: record }, mentions: [] };
    return (await this.store(record.initiatorId, conversationId, list, draft)).message;
  }

  private async requireMayMessage(actorId: string, list: MemberList): Promise<void> {
    const peer = list.memberIds.find((id) => id !== actorId);
    if (peer && !(await this.deps.permissions.canMessage(actorId, peer))) {
      throw new AppError("MESSAGING_NOT_ALLOWED", "You can't message this user");
    }
  }

  /** The content of a message the actor can see, for forwarding. */
  private async forwardable(actorId: string, messageId: string): Promise<MessageContent> {
    const source = await this.deps.messages.findById(messageId);
    if (!source || !source.content || source.type === "system" || source.type === "call") throw messageNotFound();
    const member = await this.deps.members.get(source.conversationId, actorId);
    if (!member || !isVisibleTo(source, member, actorId)) throw messageNotFound();
    return source.content;
  }

  private async quote(actorId: string, conversationId: string, messageId: string): Promise<QuotedMessage> {
    const quoted = await visibleMessage(this.deps, conversationId, messageId, actorId);
    if (!quoted.content) throw messageNotFound();
    return { id: quoted._id, seq: quoted.seq, senderId: quoted.senderId, type: quoted.type, preview: previewOf(quoted.content) };
  }

  private async store(actorId: string, conversationId: string, list: MemberList, draft: Draft): Promise<{ message: ChatMessage; duplicate: boolean }> {
    const { conversations, messages, unread, realtime, logger } = this.deps;
    const now = new Date();
    const id = randomUUID();
    const snapshot: LastMessageDoc = { id, senderId: actorId, type: draft.content.type, preview: previewOf(draft.content), createdAt: now };
    const claim = await conversations.claimSeq(conversationId, actorId, snapshot);
    if (!claim) throw conversationNotFound();
    const doc: MessageDoc = {
      _id: id,
      conversationId,
      seq: claim.seq,
      senderId: actorId,
      clientMessageId: draft.clientMessageId,
      type: draft.content.type,
      content: draft.content,
      mentions: draft.mentions,
      reactions: {},
      hiddenFor: [],
      createdAt: now,
    };
    const category = galleryKindOf(draft.content.type);
    if (category) doc.category = category;
    const searchText = searchTextOf(draft.content);
    if (searchText) doc.searchText = searchText;
    if (draft.replyTo) doc.replyTo = draft.replyTo;
    if (draft.forwarded) doc.forwarded = true;
    const event = this.deps.events.record("chat.message-sent", {
      conversationId,
      conversationType: list.type,
      messageId: id,
      seq: claim.seq,
      senderId: actorId,
      recipientIds: [],
      type: draft.content.type,
      mentions: draft.mentions,
      preview: snapshot.preview,
    });
    // The marker costs a write only when some durable subscriber needs the event.
    const durable = this.deps.events.hasDurable("chat.message-sent");

    const memberIdsAtClaim = claim.membersVersion === list.version ? list.memberIds : null;
    if (durable) {
      event.payload.recipientIds = (memberIdsAtClaim ?? (await listAt(this.deps, conversationId, claim.membersVersion))).filter((memberId) => memberId !== actorId);
      doc.outbox = [event];
    }
    if (!(await messages.insert(doc))) return { message: await this.original(doc, claim.seq), duplicate: true };

    const memberIds = memberIdsAtClaim ?? (await listAt(this.deps, conversationId, claim.membersVersion));
    const recipients = memberIds.filter((memberId) => memberId !== actorId);
    try {
      await unread.incrementExisting(recipients, conversationId);
    } catch (error) {
      // The message is stored; counters catch up when they expire and are rebuilt from the cursors.
      logger.warn({ err: error, conversationId }, "unread counters not bumped");
    }
    const message = toMessage(doc);
    realtime.toUsers(memberIds, "chat:message", message);
    event.payload.recipientIds = recipients;
    void this.deps.events.published(durable ? { collection: "messages", filter: { _id: id, conversationId } } : null, [event]);
    return { message, duplicate: false };
  }

  /**
   * A retry: the first send with this clientMessageId stored the message. The
   * seq this attempt claimed is recorded as void (so sync need not wait for it)
   * and the chat-list snapshot it overwrote is put back.
   */
  private async original(attempt: MessageDoc, burnedSeq: number): Promise<ChatMessage> {
    const { conversations, messages, changes } = this.deps;
    const original = await messages.findByClientId(attempt.conversationId, attempt.senderId, attempt.clientMessageId);
    if (!original) throw new AppError("CONFLICT", "The message could not be stored; send it again");
    await Promise.all([
      changes.insert({ _id: randomUUID(), conversationId: attempt.conversationId, seq: burnedSeq, kind: "void", actorId: attempt.senderId, at: attempt.createdAt }),
      conversations.restoreLastMessage(attempt.conversationId, attempt._id, {
        id: original._id,
        senderId: original.senderId,
        type: original.type,
        preview: previewOf(original.content),
        deleted: original.deletedAt !== undefined,
        createdAt: original.createdAt,
      }),
    ]);
    return toMessage(original);
  }
}
