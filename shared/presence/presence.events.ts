import type { Ack } from "../realtime/events.js";
import type { PresenceUpdate, PresenceWatchResult, TypingEvent } from "./presence.types.js";

/** Presence and typing pushes. */
export interface PresenceServerToClientEvents {
  /** A watched user came online or went offline (only to sockets that watch them and may see it). */
  "presence:update": (event: PresenceUpdate) => void;
  /** The user's audience changed (privacy narrowed, a block): watch them again to keep getting updates. */
  "presence:reset": (event: { userId: string }) => void;
  /** Another participant started or stopped typing in a conversation. */
  "chat:typing": (event: TypingEvent) => void;
}

export interface PresenceClientToServerEvents {
  /** Current presence of up to 200 users, and `presence:update` pushes for those the caller may see. */
  "presence:watch": (payload: { userIds: string[] }, ack: Ack<PresenceWatchResult>) => void;
  /** Stops the pushes for these users; answers how many users this socket still watches. */
  "presence:unwatch": (payload: { userIds: string[] }, ack: Ack<{ watching: number }>) => void;
  /** Reports typing (send while typing; throttled server-side) or its end; `delivered` when the others were told. */
  "chat:typing": (payload: { conversationId: string; isTyping: boolean }, ack: Ack<{ delivered: boolean }>) => void;
}
