/** Who among users has a device connected right now, on any replica (presence's answer, or its cache's). */
export interface OnlineCheck {
  onlineAmong(userIds: readonly string[]): Promise<Set<string>>;
}

/** One connected socket of a user: presence is counted per device. */
export interface Device {
  userId: string;
  socketId: string;
  /**
   * The installation's own stable id, if the client presents one at the
   * handshake (`auth.deviceId`): a reconnect with it replaces the device's
   * previous entry, say one left behind by a replica that died.
   */
  deviceId?: string;
  /** The gateway replica holding the socket: its entries stop counting once that replica's liveness key expires. */
  replicaId?: string;
}

/** Pushed as `presence:update` to the sockets watching `userId`. */
export interface PresenceUpdate {
  userId: string;
  online: boolean;
  /** ISO time the user was last online; null while online. */
  lastSeen: string | null;
}

/** The current state of a watched user, as the `presence:watch` ack reports it. */
export type PresenceState = PresenceUpdate;

/** Answer to `presence:watch`: states of users the viewer may see, and ids it may not. */
export interface PresenceWatchResult {
  presences: PresenceState[];
  /** Ids whose presence the viewer may not see (privacy, blocks, unknown users): not subscribed. */
  hidden: string[];
}

/** Pushed as `chat:typing` to the other participants of a conversation. */
export interface TypingEvent {
  conversationId: string;
  userId: string;
  isTyping: boolean;
  /** A client shows the indicator this long unless refreshed (the server re-sends at most every 2 s). */
  expiresInMs: number;
}

/** Sockets watching a user join this room; with the sharded adapter each room is its own channel. */
export const presenceRoom = (userId: string): string => `presence:${userId}`;

/** Most ids one `presence:watch` may name, and most users one socket may watch at once. */
export const PRESENCE_WATCH_BATCH = 200;
export const PRESENCE_WATCH_MAX = 1_000;

/** Typing indicator lifetime (the seed's 3 s) and the minimum gap between two broadcasts. */
export const TYPING_TTL_MS = 3_000;
export const TYPING_THROTTLE_MS = 2_000;
