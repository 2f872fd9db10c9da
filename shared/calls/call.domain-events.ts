import type { CallStatus, MediaType } from "./call.types.js";

/**
 * What the calls domain announces. Both are durable (written into the call's
 * record in the same write as the transition, then dispatched): `call.missed`
 * once per user who did not answer (notifications consume it), `call.ended`
 * once per call when it reaches a final status.
 */
export interface CallDomainEvents {
  "call.missed": {
    callId: string;
    userId: string;
    conversationId: string;
    callerId: string;
    mediaType: MediaType;
    /** Why it was missed: the ring timed out, the caller cancelled, the user was busy... */
    reason: string;
    at: string;
  };
  "call.ended": {
    callId: string;
    conversationId: string;
    status: CallStatus;
    endReason: string;
    durationSeconds: number;
    participantIds: string[];
    at: string;
  };
}
