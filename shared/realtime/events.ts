import type { CallClientToServerEvents, CallServerToClientEvents } from "../calls/call.events.js";
import type { ErrorBody } from "../errors/app-error.js";
import type { PresenceUpdate, PresenceWatchResult, TypingEvent } from "../presence/presence.types.js";
import type {
  CursorMovePayload,
  DeleteMessagePayload,
  EditMessagePayload,
  HistoryPayload,
  ListConversationsPayload,
  ReactPayload,
  SendMessagePayload,
  SyncPayload,
} from "../chat/chat.schema.js";
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
} from "../chat/chat.types.js";

/**
 * The gateway's typed event maps, declared once and used by the server, the
 * tests and the web client. Every client event takes an acknowledgement that
 * receives either `{ ok: true, data }` or `{ ok: false, error }`.
 */
export type AckResponse<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
export type Ack<T> = (response: AckResponse<T>) => void;

/** Sent to every socket of a session when it is revoked, just before disconnecting. */
export interface SessionRevokedEvent {
  sessionId: string;
  reason: "logout" | "revoked" | "password_changed" | "disabled" | "reused";
}

/** A generic push to a user (notifications, job progress...). */
export interface ServerToClientEvents extends CallServerToClientEvents {
  "session:revoked": (event: SessionRevokedEvent) => void;
  /**
   * The socket's access token expires in `expiresInMs`; send `auth:refresh`
   * with a new one before then, or the socket is disconnected at expiry.
   */
  "auth:expiring": (event: { expiresAt: string; expiresInMs: number }) => void;
  /** The access token expired without a refresh; the server disconnects the socket right after. */
  "auth:expired": (event: { expiredAt: string }) => void;
  "system:notice": (event: { message: string }) => void;
  /** A watched user came online or went offline (only to sockets that watch them and may see it). */
  "presence:update": (event: PresenceUpdate) => void;
  /** The user's audience changed (privacy narrowed, a block): watch them again to keep getting updates. */
  "presence:reset": (event: { userId: string }) => void;
  /** Another participant started or stopped typing in a conversation. */
  "chat:typing": (event: TypingEvent) => void;
  /** A new message in one of the user's conversations (also to the sender's other devices). */
  "chat:message": (message: ChatMessage) => void;
  /** A message was edited, deleted or reacted to. */
  "chat:message-updated": (update: MessageUpdate) => void;
  /** A member's delivered or read cursor moved. */
  "chat:receipt": (event: ReceiptEvent) => void;
  /** Title, members, roles or the caller's own settings changed; `removed` when the caller left or was removed. */
  "chat:conversation-updated": (event: ConversationUpdateEvent) => void;
}

export interface ClientToServerEvents extends CallClientToServerEvents {
  /** Round-trip check; answers with the server's clock. */
  "system:ping": (payload: unknown, ack: Ack<{ serverTime: string }>) => void;
  /** Presents a fresh access token of the same user, extending the socket's life to its expiry. */
  "auth:refresh": (payload: { token: string }, ack: Ack<{ expiresAt: string }>) => void;
  /** Current presence of up to 200 users, and `presence:update` pushes for those the caller may see. */
  "presence:watch": (payload: { userIds: string[] }, ack: Ack<PresenceWatchResult>) => void;
  /** Stops the pushes for these users; answers how many users this socket still watches. */
  "presence:unwatch": (payload: { userIds: string[] }, ack: Ack<{ watching: number }>) => void;
  /** Reports typing (send while typing; throttled server-side) or its end; `delivered` when the others were told. */
  "chat:typing": (payload: { conversationId: string; isTyping: boolean }, ack: Ack<{ delivered: boolean }>) => void;
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

export interface InterServerEvents {
  ping: () => void;
}

/** What the gateway keeps on each socket after the handshake. */
export interface SocketData {
  userId: string;
  sessionId: string;
  /** This device: the id the client gave in the handshake (`auth.deviceId`), else the session id. Call parties are devices. */
  deviceId: string;
  roles: string[];
  /** When the access token the socket last presented expires (epoch ms). */
  expiresAt: number;
}
