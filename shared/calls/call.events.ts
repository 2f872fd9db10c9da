import type { Ack } from "../realtime/events.js";
import type { CallView, InviteResult, MediaType, StopReason } from "./call.types.js";
import type { SignalKind } from "./call.schema.js";

/** Rings a device: every device of every invitee gets one. */
export interface IncomingCallEvent {
  callId: string;
  conversationId: string;
  conversationType: "direct" | "group";
  caller: { userId: string; deviceId: string };
  mediaType: MediaType;
  /** Everyone invited, caller included. */
  participantIds: string[];
  /** Ringing stops then: a device that gets this later shows a missed call instead of ringing. */
  expiresAt: string;
  /** The server's clock when it sent this. */
  sentAt: string;
  version: number;
}

/** This device must stop ringing (or drop its media): the reason says why, the version orders it against other events of the call. */
export interface CallEndedHereEvent {
  callId: string;
  reason: StopReason;
  version: number;
}

/** Glare: the two calls became one; use `survivorId`. */
export interface CallGlareEvent {
  survivorId: string;
  replacedId: string;
  version: number;
}

/** A WebRTC message relayed from another party of the call. */
export interface CallSignalEvent {
  callId: string;
  fromUserId: string;
  fromDeviceId: string;
  kind: SignalKind;
  payload: unknown;
}

export interface CallServerToClientEvents {
  "call:incoming": (event: IncomingCallEvent) => void;
  "call:ended-here": (event: CallEndedHereEvent) => void;
  /** The call changed (every transition), to every participant's devices. */
  "call:state": (call: CallView) => void;
  "call:glare": (event: CallGlareEvent) => void;
  "call:signal": (event: CallSignalEvent) => void;
}

export interface CallClientToServerEvents {
  /** Starts a call in a conversation (or joins the one under way there: glare). */
  "call:invite": (payload: unknown, ack: Ack<InviteResult>) => void;
  /** Answers on this device; the user's other devices stop ringing (`answered_elsewhere`). */
  "call:accept": (payload: unknown, ack: Ack<CallView>) => void;
  /** Declines for the user: every device of theirs stops ringing (`declined_elsewhere`). */
  "call:decline": (payload: unknown, ack: Ack<CallView>) => void;
  /** Cancels a ringing call (caller), leaves a joined one, or declines one ringing here. */
  "call:hangup": (payload: unknown, ack: Ack<CallView>) => void;
  /** Relays an offer/answer/candidates/renegotiate/hangup message to a party of the call. */
  "call:signal": (payload: unknown, ack: Ack<{ delivered: number }>) => void;
  /** After a reconnect: re-attaches this device to the call it is a party of. */
  "call:resume": (payload: unknown, ack: Ack<CallView>) => void;
}
