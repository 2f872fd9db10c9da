/**
 * The chat domain's wire types: what REST responses, socket acknowledgements,
 * server pushes and sync answers carry. Shared by the server, the tests and
 * the web client (through `shared/realtime/events.ts`).
 */
export const MESSAGE_TYPES = ["text", "image", "video", "audio", "file", "location", "contact", "sticker", "gif", "system", "call"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** The six reactions a message accepts; one per user. */
export const REACTION_EMOJIS = ["👍", "❤️", "😂", "😮", "😢", "🙏"] as const;
export type ReactionEmoji = (typeof REACTION_EMOJIS)[number];

export type ConversationType = "direct" | "group";
export type MemberRole = "owner" | "admin" | "member";
/** Gallery shelves: images and videos, documents, voice and audio. */
export type GalleryKind = "media" | "file" | "audio";

/** An attachment: an upload (by id) and what the server read from its bytes. URLs come from the media route. */
export interface MediaRef {
  mediaId: string;
  mimeType: string;
  /** Bytes. */
  size: number;
  width?: number;
  height?: number;
  durationSeconds?: number;
  fileName?: string;
  /** Audio recorded in the app rather than attached. */
  voiceNote?: boolean;
}

export interface LocationRef {
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
}

export interface ContactCard {
  name: string;
  phoneNumbers: string[];
  /** Set when the contact is a user of the product. */
  userId?: string;
}

export interface StickerRef {
  stickerId: string;
  packId?: string;
  url: string;
}

export interface GifRef {
  url: string;
  width: number;
  height: number;
  provider?: string;
}

export const SYSTEM_EVENTS = [
  "group_created",
  "members_added",
  "member_removed",
  "member_left",
  "group_updated",
  "admin_promoted",
  "admin_demoted",
  "owner_changed",
] as const;
export type SystemEvent = (typeof SYSTEM_EVENTS)[number];

/** A line the server writes into a conversation ("Ann added Bob"). */
export interface SystemNote {
  event: SystemEvent;
  actorId: string;
  targetIds?: string[];
  title?: string;
}

export const CALL_STATUSES = ["ringing", "missed", "answered", "declined", "cancelled", "busy"] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** The record of a call, written into the conversation by the calls domain. */
export interface CallRecord {
  callId: string;
  mediaType: "audio" | "video";
  status: CallStatus;
  durationSeconds: number;
  initiatorId: string;
  startedAt: string;
  endedAt?: string;
  /** The call's state version this record reflects: an update in place only moves it forward. */
  version?: number;
}

/** What a message says; the variant is chosen by `type`. */
export type MessageContent =
  | { type: "text"; text: string }
  | { type: "image"; media: MediaRef; text?: string }
  | { type: "video"; media: MediaRef; text?: string }
  | { type: "audio"; media: MediaRef }
  | { type: "file"; media: MediaRef; text?: string }
  | { type: "location"; location: LocationRef }
  | { type: "contact"; contact: ContactCard }
  | { type: "sticker"; sticker: StickerRef }
  | { type: "gif"; gif: GifRef; text?: string }
  | { type: "system"; system: SystemNote }
  | { type: "call"; call: CallRecord };

/** A snapshot of the quoted message, frozen when the reply was sent. */
export interface QuotedMessage {
  id: string;
  seq: number;
  senderId: string;
  type: MessageType;
  preview: string;
}

export interface MessageReaction {
  userId: string;
  emoji: ReactionEmoji;
}

export interface ChatMessage {
  id: string;
  conversationId: string;
  /** Position in the conversation's stream; strictly increasing, possibly with gaps. */
  seq: number;
  senderId: string;
  clientMessageId: string;
  type: MessageType;
  /** Null once deleted for everyone (the tombstone keeps id, seq, sender and time). */
  content: MessageContent | null;
  replyTo?: QuotedMessage;
  forwarded?: boolean;
  mentions: string[];
  reactions: MessageReaction[];
  editedAt?: string;
  deleted: boolean;
  deletedAt?: string;
  createdAt: string;
}

/** The acknowledgement of a send. `duplicate` is true when a retry returned the original. */
export interface SendResult {
  id: string;
  seq: number;
  createdAt: string;
  conversationId: string;
  clientMessageId: string;
  duplicate: boolean;
}

/**
 * One entry of a conversation's ordered stream, as sync returns it and as
 * pushes announce it. Messages and changes share the conversation's `seq`.
 */
export type ChatChange =
  | { kind: "message"; conversationId: string; seq: number; message: ChatMessage }
  | { kind: "edited"; conversationId: string; seq: number; messageId: string; content: MessageContent; editedAt: string }
  | { kind: "deleted"; conversationId: string; seq: number; messageId: string; scope: "everyone" | "me"; deletedAt: string }
  | { kind: "reaction"; conversationId: string; seq: number; messageId: string; userId: string; emoji: ReactionEmoji | null };

/** A change to a message pushed as `chat:message-updated` (everything but new messages). */
export type MessageUpdate = Exclude<ChatChange, { kind: "message" }>;

export interface LastMessageSnapshot {
  id: string;
  senderId: string;
  type: MessageType;
  preview: string;
  deleted: boolean;
  createdAt: string;
}

/** A conversation as one member sees it. */
export interface ConversationView {
  id: string;
  type: ConversationType;
  /** Direct conversations: both user ids. Groups: omitted (see the members route). */
  participants?: string[];
  title?: string;
  description?: string;
  /** The group's avatar (display size); with `avatar` when it is an upload. */
  avatarUrl?: string;
  avatar?: { mediaId: string; url: string; thumbnailUrl: string };
  ownerId?: string;
  memberCount: number;
  lastSeq: number;
  lastMessage: LastMessageSnapshot | null;
  lastMessageAt: string;
  createdAt: string;
  /** The caller's own state in it. */
  me: MemberState;
  unreadCount: number;
}

export interface MemberState {
  role: MemberRole;
  joinedAt: string;
  lastReadSeq: number;
  lastDeliveredSeq: number;
  clearedSeq: number;
  mutedUntil: string | null;
  pinned: boolean;
  archived: boolean;
}

export interface MemberView {
  userId: string;
  role: MemberRole;
  joinedAt: string;
  lastReadSeq: number;
  lastDeliveredSeq: number;
}

/** Where a member's device has got to: delivered (received) and read. */
export interface ReceiptState {
  conversationId: string;
  userId: string;
  lastReadSeq: number;
  lastDeliveredSeq: number;
}

/** Pushed as `chat:receipt` when a member's delivered or read cursor moves. */
export interface ReceiptEvent {
  conversationId: string;
  userId: string;
  kind: "delivered" | "read";
  seq: number;
}

export interface ConversationUpdateEvent {
  conversationId: string;
  /** `removed`: the receiver is no longer a member. Otherwise fetch the conversation again. */
  reason: "created" | "updated" | "members_changed" | "removed" | "settings";
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface HistoryPage {
  /** Oldest first. */
  messages: ChatMessage[];
  hasMore: boolean;
}

export interface SyncConversationResult {
  conversationId: string;
  status: "ok" | "not_found";
  /** In `seq` order; apply one after another. */
  changes: ChatChange[];
  /** Send this back next time: everything up to it has been returned (or settled as a gap). */
  cursor: number;
  /** More entries are stored after `cursor`: sync again at once. */
  hasMore: boolean;
  /** Entries below `lastSeq` are still being written: sync again shortly (or wait for pushes). */
  pending: boolean;
  lastSeq: number;
  /** Delivered/read cursors of members that moved since `receiptsSince`. */
  receipts: ReceiptState[];
}

export interface SyncResult {
  conversations: SyncConversationResult[];
  /** Pass as `receiptsSince` in the next sync. */
  receiptsCursor: string;
}
