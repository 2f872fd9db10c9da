import { randomUUID } from "node:crypto";
import type { Actor } from "../auth/actor.js";
import type { ConversationRepository, LastMessageDoc } from "./conversation.repository.js";
import type { MemberRepository } from "./member.repository.js";
import type { MessageRepository, MessageDoc } from "./message.repository.js";
import type { ChangeRepository } from "./change.repository.js";
import type { UnreadRepository } from "./unread.repository.js";
import type { MemberListCache, MemberList } from "./member-list.cache.js";
import type { DirectPermissionCache } from "./direct-permission.cache.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { OnlineCheck } from "../presence/presence.types.js";
import { conversationNotFound, isVisibleTo, listIncluding, listAt, messageMediaRef, messageNotFound, visibleMessage, type ChatMedia } from "./chat-rules.js";
import type { DomainEventBus } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import type { ChatTestHooks } from "./chat-test-hooks.js";
import { AppError } from "../errors/app-error.js";
import type { AnyOutboxEntry } from "../events/domain-events.js";
import { toMessage } from "./chat.mappers.js";
import type { SendMessageInput } from "./chat.schema.js";
import { attachmentOf, galleryKindOf, previewOf, searchTextOf, type ClientContent } from "./message-content.schema.js";
import type { CallRecord, ChatMessage, MediaRef, MessageContent, QuotedMessage, SendResult, SystemNote } from "./chat.types.js";
import { RecentSendsCache } from "./recent-sends.cache.js";

/** Seq claims one send tries when syncs keep voiding its late writes (a process stalling again and again). */
const MAX_STORE_ATTEMPTS = 4;

/**
 * Up to this many recipients, a send asks who is connected (alongside the seq
 * claim; the process's OnlineCache, else one presence script per recipient)
 * and announces `chat.message-to-offline` only for the others, usually nobody:
 * no outbox marker, no clear, no delivery job. Larger groups list every
 * recipient and the subscriber asks presence in chunks, off the send path.
 */
export const OFFLINE_CHECK_MAX_RECIPIENTS = 32;

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
 * in the same command) while the recipients' presence is asked, one inserts the
 * message, one Redis script bumps the recipients' unread counters (not awaited
 * by the ack); the push is one adapter publish per member's user room up to 8
 * members, else one on the adapter's shared channel. Only a recipient with no
 * connected device makes the insert carry an outbox entry
 * (`chat.message-to-offline`, for the notifications subscriber). A write that
 * finds its seq voided by sync (see sync.service.ts) claims a new seq and tries
 * again before acknowledging.
 */
export class MessageService {
  private readonly recent = new RecentSendsCache();

  constructor(
    private readonly conversations: ConversationRepository,
    private readonly members: MemberRepository,
    private readonly messages: MessageRepository,
    private readonly changes: ChangeRepository,
    private readonly unread: UnreadRepository,
    private readonly memberLists: MemberListCache,
    private readonly permissions: DirectPermissionCache,
    private readonly realtime: Pick<Realtime, "toUsers">,
    private readonly media: ChatMedia,
    private readonly events: DomainEventBus,
    private readonly online: OnlineCheck,
    private readonly logger: Logger,
    private readonly hooks: ChatTestHooks,
  ) {}

  async send(actor: Actor, input: SendMessageInput): Promise<SendResult> {
    const actorId = actor.userId;
    const remembered = this.recent.get(actorId, input.conversationId, input.clientMessageId);
    if (remembered) return remembered;
    const list = await listIncluding(this.memberLists, input.conversationId, actorId);
    if (list.type === "direct") await this.requireMayMessage(actorId, list);
    const content = input.forwardFromId ? await this.forwardable(actorId, input.forwardFromConversationId as string, input.forwardFromId) : await this.withAttachment(actorId, input.content as ClientContent);
    const draft: Draft = {
      clientMessageId: input.clientMessageId,
      content,
      mentions: [...new Set(input.mentions ?? [])].filter((id) => id !== actorId && list.memberIds.includes(id)),
    };
    if (input.forwardFromId) draft.forwarded = true;
    if (input.replyToId) draft.replyTo = await this.quote(actorId, input.conversationId, input.replyToId);
    const { message, duplicate } = await this.store(actorId, input.conversationId, list, draft);
    const mediaId = attachmentOf(message.content);
    if (mediaId && !duplicate) {
      await this.media.attach(mediaId, messageMediaRef(message.id)).catch((error: unknown) => this.logger.warn({ err: error, mediaId }, "attachment reference not recorded"));
    }
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
    const list = await this.memberLists.load(conversationId);
    if (!list || !list.memberIds.includes(actorId)) return null;
    const draft: Draft = { clientMessageId: `system:${randomUUID()}`, content: { type: "system", system: note }, mentions: [] };
    return (await this.store(actorId, conversationId, list, draft)).message;
  }

  /**
   * Writes the record of a call into its conversation, once per call: the
   * call id is the idempotency key, so a repeated report returns the first record.
   */
  async postCallRecord(conversationId: string, record: CallRecord): Promise<ChatMessage> {
    const list = await listIncluding(this.memberLists, conversationId, record.initiatorId);
    const draft: Draft = { clientMessageId: `call:${record.callId}`, content: { type: "call", call: record }, mentions: [] };
    return (await this.store(record.initiatorId, conversationId, list, draft)).message;
  }

  /**
   * Client content with the attachment resolved: the upload must be the
   * sender's, for chat, ready, and of the message's kind; its stored facts
   * (type, size, dimensions, duration, name) replace anything the client could claim.
   */
  private async withAttachment(actorId: string, content: ClientContent): Promise<MessageContent> {
    if (content.type !== "image" && content.type !== "video" && content.type !== "audio" && content.type !== "file") return content as MessageContent;
    const upload = await this.media.resolveForOwner(actorId, content.media.mediaId, "chat");
    if (content.type !== "file" && upload.kind !== content.type) {
      throw new AppError("VALIDATION_FAILED", `An ${content.type} message needs an ${content.type} upload, not a ${upload.kind}`);
    }
    const media: MediaRef = { mediaId: upload.id, mimeType: upload.mimeType, size: upload.size };
    if (upload.metadata.width) media.width = upload.metadata.width;
    if (upload.metadata.height) media.height = upload.metadata.height;
    if (upload.metadata.durationSeconds !== undefined) media.durationSeconds = upload.metadata.durationSeconds;
    if (upload.fileName) media.fileName = upload.fileName;
    if (content.type === "audio") {
      if (content.media.voiceNote) media.voiceNote = true;
      return { type: "audio", media };
    }
    return content.text === undefined ? { type: content.type, media } : { type: content.type, media, text: content.text };
  }

  private async requireMayMessage(actorId: string, list: MemberList): Promise<void> {
    const peer = list.memberIds.find((id) => id !== actorId);
    if (peer && !(await this.permissions.canMessage(actorId, peer))) {
      throw new AppError("MESSAGING_NOT_ALLOWED", "You can't message this user");
    }
  }

  /** The content of a message the actor can see, for forwarding (read by its conversation, the shard key). */
  private async forwardable(actorId: string, sourceConversationId: string, messageId: string): Promise<MessageContent> {
    const [source, member] = await Promise.all([this.messages.findInConversation(sourceConversationId, messageId), this.members.get(sourceConversationId, actorId)]);
    if (!source || !source.content || source.type === "system" || source.type === "call") throw messageNotFound();
    if (!member || !isVisibleTo(source, member, actorId)) throw messageNotFound();
    return source.content;
  }

  private async quote(actorId: string, conversationId: string, messageId: string): Promise<QuotedMessage> {
    const quoted = await visibleMessage(this.messages, this.members, conversationId, messageId, actorId);
    if (!quoted.content) throw messageNotFound();
    return { id: quoted._id, seq: quoted.seq, senderId: quoted.senderId, type: quoted.type, preview: previewOf(quoted.content) };
  }

  private async store(actorId: string, conversationId: string, list: MemberList, draft: Draft): Promise<{ message: ChatMessage; duplicate: boolean }> {
    const { conversations, messages, hooks, events } = this;
    const id = randomUUID();
    // Asked once, alongside the first claim; null: not asked (a large group, or presence unavailable).
    const connected = this.connectedAmong(list.memberIds.filter((memberId) => memberId !== actorId));
    for (let attempt = 1; ; attempt++) {
      const now = new Date();
      const snapshot: LastMessageDoc = { id, senderId: actorId, type: draft.content.type, preview: previewOf(draft.content), createdAt: now };
      const [claim, online] = await Promise.all([conversations.claimSeq(conversationId, actorId, snapshot), connected]);
      if (!claim) throw conversationNotFound();
      await hooks.afterClaim?.();
      const doc = this.document(id, conversationId, claim.seq, actorId, draft, now);
      const memberIds = claim.membersVersion === list.version ? list.memberIds : await listAt(this.memberLists, conversationId, claim.membersVersion);
      const sent = events.record("chat.message-sent", {
        conversationId,
        conversationType: list.type,
        messageId: id,
        seq: claim.seq,
        senderId: actorId,
        recipientIds: memberIds.filter((memberId) => memberId !== actorId),
        type: draft.content.type,
        mentions: draft.mentions,
        preview: snapshot.preview,
      });
      // Members who joined since presence was asked are not in `online`: they count as offline.
      const offline = online ? sent.payload.recipientIds.filter((memberId) => !online.has(memberId)) : sent.payload.recipientIds;
      const entries: AnyOutboxEntry[] = [sent];
      if (offline.length > 0) entries.push(events.record("chat.message-to-offline", { ...sent.payload, recipientIds: offline }));
      // The marker costs a write only for the entries some durable subscriber needs.
      const stored = entries.filter((entry) => events.hasDurable(entry.name));
      if (stored.length > 0) doc.outbox = stored;
      if (await messages.insert(doc)) {
        hooks.afterStore?.();
        return { message: this.deliver(doc, memberIds, sent.payload.recipientIds, entries, stored), duplicate: false };
      }
      const original = await messages.findByClientId(conversationId, actorId, draft.clientMessageId);
      if (original) return { message: await this.original(doc, claim.seq, original, list), duplicate: true };
      // No original: the claimed seq was voided by a sync that passed over it while
      // this write was late (a stalled process). Nothing is acknowledged yet; take a new seq.
      if (attempt === MAX_STORE_ATTEMPTS) throw new AppError("UNAVAILABLE", "The message could not be stored; send it again");
    }
  }

  /** Which of a small conversation's recipients are connected; null when not asked or presence failed (all count as offline). */
  private async connectedAmong(recipientIds: readonly string[]): Promise<Set<string> | null> {
    if (recipientIds.length === 0 || recipientIds.length > OFFLINE_CHECK_MAX_RECIPIENTS || !this.events.hasDurable("chat.message-to-offline")) return null;
    try {
      return await this.online.onlineAmong(recipientIds);
    } catch (error) {
      this.logger.warn({ err: error }, "presence unavailable; the message is announced to every recipient as offline");
      return null;
    }
  }

  private document(id: string, conversationId: string, seq: number, actorId: string, draft: Draft, now: Date): MessageDoc {
    const doc: MessageDoc = {
      _id: id,
      conversationId,
      seq,
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
    return doc;
  }

  /**
   * Bumps the recipients' unread counters, pushes the stored message and
   * publishes its events. The counter script is sent but its reply not awaited:
   * the ack does not wait for it, and Redis runs one connection's commands in
   * order, so a read made after the ack on this process sees the bump.
   */
  private deliver(doc: MessageDoc, memberIds: readonly string[], recipientIds: readonly string[], entries: readonly AnyOutboxEntry[], stored: readonly AnyOutboxEntry[]): ChatMessage {
    const { unread, realtime, logger, events } = this;
    const conversationId = doc.conversationId;
    unread.incrementExisting(recipientIds, conversationId).catch((error: unknown) => {
      // The message is stored; counters catch up when they expire and are rebuilt from the cursors.
      logger.warn({ err: error, conversationId }, "unread counters not bumped");
    });
    const message = toMessage(doc);
    realtime.toUsers(memberIds, "chat:message", message);
    if (stored.length > 0) void events.published({ collection: "messages", filter: { _id: doc._id, conversationId } }, stored);
    const unstored = entries.filter((entry) => !stored.includes(entry));
    if (unstored.length > 0) void events.published(null, unstored);
    return message;
  }

  /**
   * A retry: the first send with this clientMessageId stored the message. The
   * seq this attempt claimed is recorded as void (so sync need not wait for it)
   * and the chat-list snapshot it overwrote is put back. The first attempt may
   * have died between storing and pushing, so the original is pushed again
   * (devices de-duplicate by id) and the recipients' counters are dropped, to be
   * rebuilt from the read cursors (the first attempt may or may not have bumped them).
   */
  private async original(attempt: MessageDoc, burnedSeq: number, original: MessageDoc, list: MemberList): Promise<ChatMessage> {
    const { conversations, changes, unread, realtime, logger } = this;
    const conversationId = attempt.conversationId;
    await Promise.all([
      changes.insert({ _id: randomUUID(), conversationId, seq: burnedSeq, kind: "void", actorId: attempt.senderId, at: attempt.createdAt }),
      conversations.restoreLastMessage(conversationId, attempt._id, {
        id: original._id,
        senderId: original.senderId,
        type: original.type,
        preview: previewOf(original.content),
        deleted: original.deletedAt !== undefined,
        createdAt: original.createdAt,
      }),
    ]);
    const message = toMessage(original);
    const recipients = list.memberIds.filter((memberId) => memberId !== attempt.senderId);
    await unread.forget(recipients, conversationId).catch((error: unknown) => logger.warn({ err: error, conversationId }, "unread counters not reset"));
    realtime.toUsers(list.memberIds, "chat:message", message);
    return message;
  }
}
