import type { Ack } from "../realtime/events.js";
import type {
  CursorMovePayload,
  DeleteMessagePayload,
  EditMessagePayload,
  HistoryPayload,
  ListConversationsPayload,
  ReactPayload,
  SendMessagePayload,
  SyncPayload,
} from "./chat.schema.js";
import type {
  ChatMessage,
  ConversationUpdateEvent,
  ConversationView,
  HistoryPage,
  MessageUpdate,
  Page,
  ReceiptEvent,
  ReceiptState,
  SendResult,
  SyncResult,
} from "./chat.types.js";

/** What the gateway pushes about conversations and messages. */
export interface ChatServerToClientEvents {
  /** A new message in one of the user's conversations (also to the sender's other devices). */
  "chat:message": (message: ChatMessage) => void;
  /** A message was edited, deleted or reacted to. */
  "chat:message-updated": (update: MessageUpdate) => void;
  /** A member's delivered or read cursor moved. */
  "chat:receipt": (event: ReceiptEvent) => void;
  /** Title, members, roles or the caller's own settings changed; `removed` when the caller left or was removed. */
  "chat:conversation-updated": (event: ConversationUpdateEvent) => void;
}

/** Chat events a client sends; each is answered through its acknowledgement. */
export interface ChatClientToServerEvents {
  /** Sends a message; a retry with the same clientMessageId answers with the original. */
  "chat:send": (payload: SendMessagePayload, ack: Ack<SendResult>) => void;
  /** Edits the text or caption of one's own message. */
  "chat:edit": (payload: EditMessagePayload, ack: Ack<MessageUpdate>) => void;
  /** Deletes a message for oneself, or one's own for everyone. */
  "chat:delete": (payload: DeleteMessagePayload, ack: Ack<MessageUpdate>) => void;
  /** Sets (emoji) or removes (null) the caller's reaction. */
  "chat:react": (payload: ReactPayload, ack: Ack<MessageUpdate>) => void;
  /** This device received everything up to `seq`. */
  "chat:delivered": (payload: CursorMovePayload, ack: Ack<ReceiptState>) => void;
  /** The user has read everything up to `seq`; answers with the new unread count. */
  "chat:read": (payload: CursorMovePayload, ack: Ack<ReceiptState & { unreadCount: number }>) => void;
  /** Everything after the given per-conversation cursors, in order. */
  "chat:sync": (payload: SyncPayload, ack: Ack<SyncResult>) => void;
  /** The chat list: most recent activity first, with unread counts. */
  "chat:conversations": (payload: ListConversationsPayload, ack: Ack<Page<ConversationView>>) => void;
  /** A page of a conversation's history by seq cursors. */
  "chat:history": (payload: HistoryPayload, ack: Ack<HistoryPage>) => void;
}
