import type { ChangeDoc } from "./change.repository.js";
import type { ChatChange, ChatMessage, ConversationView, MemberState, MemberView, ReceiptState } from "./chat.types.js";
import type { ConversationHead } from "./conversation.repository.js";
import type { MemberDoc } from "./member.repository.js";
import type { MessageDoc } from "./message.repository.js";

/** Store documents to wire types. Dates become ISO strings; internal fields stay behind. */
export function toMessage(doc: MessageDoc): ChatMessage {
  const message: ChatMessage = {
    id: doc._id,
    conversationId: doc.conversationId,
    seq: doc.seq,
    senderId: doc.senderId,
    clientMessageId: doc.clientMessageId,
    type: doc.type,
    content: doc.content,
    mentions: doc.mentions,
    reactions: Object.entries(doc.reactions ?? {})
      .sort(([, a], [, b]) => a.at.getTime() - b.at.getTime())
      .map(([userId, reaction]) => ({ userId, emoji: reaction.emoji })),
    deleted: doc.deletedAt !== undefined,
    createdAt: doc.createdAt.toISOString(),
  };
  if (doc.replyTo) message.replyTo = doc.replyTo;
  if (doc.forwarded) message.forwarded = true;
  if (doc.editedAt) message.editedAt = doc.editedAt.toISOString();
  if (doc.deletedAt) message.deletedAt = doc.deletedAt.toISOString();
  return message;
}

/** A change record as sync and pushes show it; `void` records are never shown. */
export function toChange(doc: ChangeDoc): ChatChange | null {
  const base = { conversationId: doc.conversationId, seq: doc.seq };
  switch (doc.kind) {
    case "edited":
      return { ...base, kind: "edited", messageId: doc.messageId, content: doc.data.content, editedAt: doc.at.toISOString() };
    case "deleted":
      return { ...base, kind: "deleted", messageId: doc.messageId, scope: doc.data.scope, deletedAt: doc.at.toISOString() };
    case "reaction":
      return { ...base, kind: "reaction", messageId: doc.messageId, userId: doc.actorId, emoji: doc.data.emoji };
    case "void":
      return null;
  }
}

export function toMemberState(doc: MemberDoc): MemberState {
  return {
    role: doc.role,
    joinedAt: doc.joinedAt.toISOString(),
    lastReadSeq: doc.lastReadSeq,
    lastDeliveredSeq: doc.lastDeliveredSeq,
    clearedSeq: doc.clearedSeq,
    mutedUntil: doc.mutedUntil ? doc.mutedUntil.toISOString() : null,
    pinned: doc.pinned,
    archived: doc.archived,
  };
}

export function toMemberView(doc: MemberDoc): MemberView {
  return {
    userId: doc.userId,
    role: doc.role,
    joinedAt: doc.joinedAt.toISOString(),
    lastReadSeq: doc.lastReadSeq,
    lastDeliveredSeq: doc.lastDeliveredSeq,
  };
}

export function toReceipt(doc: MemberDoc): ReceiptState {
  return { conversationId: doc.conversationId, userId: doc.userId, lastReadSeq: doc.lastReadSeq, lastDeliveredSeq: doc.lastDeliveredSeq };
}

export function toConversationView(head: ConversationHead, member: MemberDoc, unreadCount: number): ConversationView {
  const view: ConversationView = {
    id: head._id,
    type: head.type,
    memberCount: head.memberCount,
    lastSeq: head.lastSeq,
    lastMessage: head.lastMessage
      ? {
          id: head.lastMessage.id,
          senderId: head.lastMessage.senderId,
          type: head.lastMessage.type,
          preview: head.lastMessage.preview,
          deleted: head.lastMessage.deleted === true,
          createdAt: head.lastMessage.createdAt.toISOString(),
        }
      : null,
    lastMessageAt: head.lastMessageAt.toISOString(),
    createdAt: head.createdAt.toISOString(),
    me: toMemberState(member),
    unreadCount,
  };
  if (head.directMembers) view.participants = head.directMembers;
  if (head.title !== undefined) view.title = head.title;
  if (head.description !== undefined) view.description = head.description;
  if (head.avatarUrl !== undefined) view.avatarUrl = head.avatarUrl;
  if (head.avatar) view.avatar = { mediaId: head.avatar.mediaId, url: head.avatar.url, thumbnailUrl: head.avatar.thumbnailUrl };
  if (head.ownerId !== undefined) view.ownerId = head.ownerId;
  // A member who cleared the chat or joined later must not see an older snapshot.
  if (view.lastMessage && head.lastSeq <= member.clearedSeq) view.lastMessage = null;
  return view;
}
