export const MEDIA_TYPES = ["audio", "video"] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

/** A call's status: `ringing → active → ended`, or `ringing → missed | declined | cancelled | busy`. */
export const CALL_STATES = ["ringing", "active", "ended", "missed", "declined", "cancelled", "busy"] as const;
export type CallStatus = (typeof CALL_STATES)[number];
export const FINAL_STATUSES: ReadonlySet<CallStatus> = new Set(["ended", "missed", "declined", "cancelled", "busy"]);

/** A participant's state (one per user; a joined user is one device, the party). */
export const PARTICIPANT_STATES = ["ringing", "accepted", "declined", "missed", "left", "busy"] as const;
export type ParticipantState = (typeof PARTICIPANT_STATES)[number];

export interface PartyState {
  state: ParticipantState;
  /** The joined device (only while or after `accepted`). */
  deviceId?: string;
  /** When the gateway holding the joined device last vouched for it (ms). */
  seenAt?: number;
  answeredAt?: number;
  /** When the state last changed (ms). */
  at: number;
}

export interface CallEventEntry {
  type: string;
  userId?: string;
  deviceId?: string;
  reason?: string;
  at: number;
}

/** The authoritative state of one call, as the Redis scripts keep it (times in epoch ms). */
export interface CallState {
  id: string;
  conversationId: string;
  conversationType: "direct" | "group";
  mediaType: MediaType;
  initiatorId: string;
  initiatorDeviceId: string;
  status: CallStatus;
  version: number;
  createdAt: number;
  updatedAt: number;
  /** Ringing stops at this time (the ring timeout). */
  expiresAt: number;
  answeredAt?: number;
  endedAt?: number;
  endReason?: string;
  endedBy?: string;
  /** After glare: the call that survived. */
  replacedBy?: string;
  parties: Record<string, PartyState>;
  events: CallEventEntry[];
}

/** Why a device stopped ringing or left a call. */
export const STOP_REASONS = [
  "answered_elsewhere",
  "declined_elsewhere",
  "left_elsewhere",
  "cancelled",
  "missed",
  "declined",
  "busy",
  "ended",
  "replaced",
] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/** A call as clients see it (ISO times). */
export interface CallView {
  id: string;
  conversationId: string;
  conversationType: "direct" | "group";
  mediaType: MediaType;
  initiatorId: string;
  status: CallStatus;
  version: number;
  createdAt: string;
  expiresAt: string;
  answeredAt?: string;
  endedAt?: string;
  endReason?: string;
  endedBy?: string;
  replacedBy?: string;
  participants: Array<{ userId: string; state: ParticipantState; deviceId?: string }>;
}

/** The result of `call:invite`: the call the caller is now in (after glare, the surviving one). */
export interface InviteResult {
  call: CallView;
  /** Glare: the call id this invite gave way to, or that gave way to it. */
  glare?: { survivorId: string; replacedId: string };
}

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface IceServersResult {
  iceServers: IceServer[];
  /** When the TURN credentials stop working. */
  expiresAt: string;
  ttlSeconds: number;
}

export function toCallView(state: CallState): CallView {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  const view: CallView = {
    id: state.id,
    conversationId: state.conversationId,
    conversationType: state.conversationType,
    mediaType: state.mediaType,
    initiatorId: state.initiatorId,
    status: state.status,
    version: state.version,
    createdAt: iso(state.createdAt)!,
    expiresAt: iso(state.expiresAt)!,
    participants: Object.entries(state.parties).map(([userId, party]) =>
      party.state === "accepted" && party.deviceId ? { userId, state: party.state, deviceId: party.deviceId } : { userId, state: party.state },
    ),
  };
  if (state.answeredAt !== undefined) view.answeredAt = iso(state.answeredAt)!;
  if (state.endedAt !== undefined) view.endedAt = iso(state.endedAt)!;
  if (state.endReason !== undefined) view.endReason = state.endReason;
  if (state.endedBy !== undefined) view.endedBy = state.endedBy;
  if (state.replacedBy !== undefined) view.replacedBy = state.replacedBy;
  return view;
}
