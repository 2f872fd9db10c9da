import { z } from "zod";

/**
 * The calls domain's jobs. `calls.ring-timeout` is delayed by the ring
 * timeout when a call starts ringing and removed when it is answered; its id
 * is derived from the call (BullMQ refuses a second job with the same id, and
 * ids may not contain ":"), so a call has at most one.
 */
export const RING_TIMEOUT_JOB = "calls.ring-timeout" as const;
export const ringTimeoutSchema = z.strictObject({ callId: z.uuid() });
export type RingTimeoutPayload = z.infer<typeof ringTimeoutSchema>;
export const ringTimeoutJobId = (payload: RingTimeoutPayload): string => `ring-${payload.callId}`;
