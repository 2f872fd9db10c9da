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
  /**
   * A message was stored while these recipients had no device connected (on
   * any replica): nobody has it on screen, so it may be worth telling them.
   * Recipients with a connected device got it pushed and are left out; for a
   * conversation of more than `OFFLINE_CHECK_MAX_RECIPIENTS` recipients
   * presence is not checked at send time and every recipient is listed. The
   * payload is `chat.message-sent`'s with `recipientIds` narrowed.
   */
  "chat.message-to-offline": ChatDomainEvents["chat.message-sent"];
  /** Users joined a group (created with them, or added later). */
  "chat.member-added": { conversationId: string; addedBy: string; userIds: string[] };
  /** A group's avatar was replaced or removed: the media domain drops this use of its upload (released when unused). */
  "chat.group-avatar-released": { conversationId: string; mediaId: string; ref: string };
}
