import { conversationNotFound, listAt, visibleMessage } from "./chat-rules.js";
import type { Actor } from "../auth/actor.js";
import type { ConversationRepository, ConversationHead } from "./conversation.repository.js";
import type { MemberRepository, MemberDoc } from "./member.repository.js";
import type { MessageRepository } from "./message.repository.js";
import type { UnreadRepository } from "./unread.repository.js";
import type { MemberListCache } from "./member-list.cache.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { Logger } from "../logging/logger.js";
import { toReceipt } from "./chat.mappers.js";
import type { CursorMoveInput, ReadersInput } from "./chat.schema.js";
import type { ReceiptEvent, ReceiptState } from "./chat.types.js";

/**
 * Groups larger than this do not push every member's receipts to every other
 * member (10,000 × 10,000 pushes); their members' own devices still get them,
 * and anyone can ask who read a message.
 */
export const RECEIPT_FANOUT_LIMIT = 256;

/**
 * Delivered and read cursors, and the unread counters they imply. A counter
 * (`unread:{c:<conversationId>}:<userId>`) is bumped per message received,
 * lowered by exactly the messages a read covers, and rebuilt from the read
 * cursor whenever it is missing.
 */
export class ReceiptService {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly members: MemberRepository,
    private readonly messages: MessageRepository,
    private readonly unread: UnreadRepository,
    private readonly memberLists: MemberListCache,
    private readonly realtime: Pick<Realtime, "toUsers">,
    private readonly logger: Logger,
  ) {}

  async delivered(actor: Actor, input: CursorMoveInput): Promise<ReceiptState> {
    const actorId = actor.userId;
    const head = await this.head(input.conversationId, actorId);
    const seq = Math.min(input.seq, head.lastSeq);
    const before = await this.members.advanceDelivered(input.conversationId, actorId, seq, new Date());
    if (!before) throw conversationNotFound();
    if (seq > before.lastDeliveredSeq) await this.announce(head, { conversationId: head._id, userId: actorId, kind: "delivered", seq });
    return { conversationId: head._id, userId: actorId, lastReadSeq: before.lastReadSeq, lastDeliveredSeq: Math.max(seq, before.lastDeliveredSeq) };
  }

  async read(actor: Actor, input: CursorMoveInput): Promise<ReceiptState & { unreadCount: number }> {
    const actorId = actor.userId;
    const head = await this.head(input.conversationId, actorId);
    const seq = Math.min(input.seq, head.lastSeq);
    const before = await this.members.advanceRead(input.conversationId, actorId, seq, new Date());
    if (!before) throw conversationNotFound();
    const lastReadSeq = Math.max(seq, before.lastReadSeq);
    let left: number | null = null;
    try {
      const covered = seq > before.lastReadSeq ? await this.messages.countUnread(head._id, actorId, before.lastReadSeq, seq) : 0;
      left = await this.unread.decrementExisting(actorId, head._id, covered);
    } catch (error) {
      this.logger.warn({ err: error, conversationId: head._id }, "unread counter not lowered");
    }
    if (seq > before.lastReadSeq) await this.announce(head, { conversationId: head._id, userId: actorId, kind: "read", seq });
    const unreadCount = left ?? (await this.rebuild(actorId, head._id, lastReadSeq));
    return { conversationId: head._id, userId: actorId, lastReadSeq, lastDeliveredSeq: Math.max(lastReadSeq, before.lastDeliveredSeq), unreadCount };
  }

  /** Unread counts for the caller's conversations, rebuilt from the read cursors where Redis has none. */
  async countsFor(actorId: string, members: readonly MemberDoc[]): Promise<Map<string, number>> {
    const ids = members.map((m) => m.conversationId);
    let cached: (number | null)[] = ids.map(() => null);
    try {
      cached = await this.unread.get(actorId, ids);
    } catch (error) {
      this.logger.warn({ err: error }, "unread counters unavailable; counting from the store");
    }
    const counts = new Map<string, number>();
    await Promise.all(
      members.map(async (member, i) => {
        const value = cached[i];
        counts.set(member.conversationId, value ?? (await this.rebuild(actorId, member.conversationId, member.lastReadSeq)));
      }),
    );
    return counts;
  }

  /** Who has read a message (its sender aside), for the "read by" view of large groups. */
  async readers(actor: Actor, input: ReadersInput): Promise<ReceiptState[]> {
    const actorId = actor.userId;
    await this.head(input.conversationId, actorId);
    const message = await visibleMessage(this.messages, this.members, input.conversationId, input.messageId, actorId);
    // Members who joined after the message never saw it, whatever their read cursor says.
    const readers = await this.members.readersOf(input.conversationId, message.seq, message.createdAt, input.limit + 1);
    return readers.filter((m) => m.userId !== message.senderId).slice(0, input.limit).map(toReceipt);
  }

  /** Drops the caller's counter (after clearing a chat everything is read). */
  async reset(actorId: string, conversationId: string): Promise<void> {
    await this.unread.set(actorId, conversationId, 0);
  }

  private async rebuild(userId: string, conversationId: string, lastReadSeq: number): Promise<number> {
    const count = await this.messages.countUnread(conversationId, userId, lastReadSeq);
    try {
      await this.unread.fill(userId, conversationId, count);
    } catch (error) {
      this.logger.warn({ err: error, conversationId }, "unread counter not stored");
    }
    return count;
  }

  private async head(conversationId: string, actorId: string): Promise<ConversationHead> {
    const head = await this.conversations.findHeadForMember(conversationId, actorId);
    if (!head) throw conversationNotFound();
    return head;
  }

  private async announce(head: ConversationHead, event: ReceiptEvent): Promise<void> {
    const audience = head.memberCount <= RECEIPT_FANOUT_LIMIT ? await listAt(this.memberLists, head._id, head.membersVersion) : [event.userId];
    this.realtime.toUsers(audience, "chat:receipt", event);
  }
}
