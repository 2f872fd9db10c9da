import { AppError } from "../errors/app-error.js";
import type { Actor } from "../auth/actor.js";
import type { ConversationRepository } from "./conversation.repository.js";
import type { MemberRepository, MemberDoc } from "./member.repository.js";
import type { MessageRepository } from "./message.repository.js";
import { conversationNotFound, messageNotFound, type ChatMedia } from "./chat-rules.js";
import type { MediaUrls } from "../media/media.types.js";
import { toMessage } from "./chat.mappers.js";
import type { GalleryInput, HistoryInput, MessageRefInput, SearchInput } from "./chat.schema.js";
import { attachmentOf } from "./message-content.schema.js";
import type { ChatMessage, HistoryPage, Page } from "./chat.types.js";
import { decodeTimeCursor, encodeTimeCursor } from "./list-cursor.js";

/** How many of the user's most active conversations a search spans. */
const SEARCH_SCOPE = 1_000;

/**
 * Reading messages: history by seq cursors, the media gallery and search.
 * A member never sees what they cleared, joined after, or deleted for themselves.
 */
export class MessageQueryService {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly members: MemberRepository,
    private readonly messages: MessageRepository,
    private readonly media: ChatMedia,
  ) {}

  /** A page of history: the latest page, or the page before/after a seq. Oldest first. */
  async history(actor: Actor, input: HistoryInput): Promise<HistoryPage> {
    const actorId = actor.userId;
    const member = await this.member(input.conversationId, actorId);
    const range: { before?: number; after?: number; floor: number } = { floor: member.clearedSeq };
    if (input.before !== undefined) range.before = input.before;
    if (input.after !== undefined) range.after = input.after;
    const page = await this.messages.history(input.conversationId, actorId, range, input.limit);
    return { messages: page.messages.map(toMessage), hasMore: page.hasMore };
  }

  /** Images and videos, files, or audio of one conversation, newest first. */
  async gallery(actor: Actor, input: GalleryInput): Promise<HistoryPage> {
    const actorId = actor.userId;
    const member = await this.member(input.conversationId, actorId);
    const page = await this.messages.gallery(input.conversationId, actorId, input.kind, member.clearedSeq, input.before, input.limit);
    return { messages: page.messages.map(toMessage), hasMore: page.hasMore };
  }

  /** Full-text search across the user's conversations (or one of them), newest first. */
  async search(actor: Actor, input: SearchInput): Promise<Page<ChatMessage>> {
    const actorId = actor.userId;
    let scope: string[];
    if (input.conversationId) {
      await this.member(input.conversationId, actorId);
      scope = [input.conversationId];
    } else {
      scope = await this.conversations.idsForMember(actorId, SEARCH_SCOPE);
    }
    if (scope.length === 0) return { items: [], nextCursor: null };
    const before = input.cursor ? decodeTimeCursor(input.cursor) : undefined;
    const found = await this.messages.search(input.q, scope, actorId, before, input.limit);
    const members = await this.members.forUser(actorId, [...new Set(found.map((m) => m.conversationId))]);
    const clearedAt = new Map(members.map((m: MemberDoc) => [m.conversationId, m.clearedSeq]));
    const visible = found.filter((m) => m.seq > (clearedAt.get(m.conversationId) ?? Number.MAX_SAFE_INTEGER));
    const last = found[found.length - 1];
    return {
      items: visible.map(toMessage),
      nextCursor: last && found.length === input.limit ? encodeTimeCursor(last.createdAt, last._id) : null,
    };
  }

  /**
   * Short-lived URLs of a message's attachment, for a member who can see the
   * message (not cleared, not deleted, not hidden for them). Private media is
   * reachable only this way.
   */
  async attachment(actor: Actor, input: MessageRefInput): Promise<MediaUrls> {
    const actorId = actor.userId;
    const member = await this.member(input.conversationId, actorId);
    const message = await this.messages.findInConversation(input.conversationId, input.messageId);
    if (!message || message.hiddenFor.includes(actorId) || message.seq <= member.clearedSeq || !message.content) throw messageNotFound();
    const mediaId = attachmentOf(message.content);
    if (!mediaId) throw new AppError("MEDIA_NOT_FOUND", "This message has no attachment");
    const urls = (await this.media.urlsFor([mediaId])).get(mediaId);
    if (!urls) throw new AppError("MEDIA_NOT_FOUND", "This attachment is no longer available");
    return urls;
  }

  /** The actor's member state, if the membership list (the authority) includes them. */
  private async member(conversationId: string, actorId: string): Promise<MemberDoc> {
    const [member, head] = await Promise.all([
      this.members.get(conversationId, actorId),
      this.conversations.findHeadForMember(conversationId, actorId),
    ]);
    if (!member || !head) throw conversationNotFound();
    return member;
  }
}
