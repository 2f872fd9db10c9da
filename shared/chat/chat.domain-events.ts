import type { MessageType } from "./chat.types.js";

/** What the chat domain announces. */
export interface ChatDomainEvents {
  /** A message was stored (not for retries of one already stored). */
  "chat.message-sent": {
    conversationId: string;
    conversationType: "direct" | "group";
    messageId: string;
    seq: number;
    senderId: string;
    /** Members other than the sender at the time of the send. */
    recipientIds: string[];
    type: MessageType;
    mentions: string[];
    preview: string;
  };
  /** Users joined a group (created with them, or added later). */
  "chat.member-added": { conversationId: string; addedBy: string; userIds: string[] };
  /** A group's avatar was replaced or removed: the media domain drops this use of its upload (released when unused). */
  "chat.group-avatar-released": { conversationId: string; mediaId: string; ref: string };
}
