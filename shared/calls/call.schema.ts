import { z } from "zod";
import { CALL_STATES, MEDIA_TYPES } from "./call.types.js";

/**
 * Input schemas of every call operation (socket payloads and REST queries).
 * Signal payloads are checked by kind: SDP for offers/answers, a bounded list
 * of ICE candidates, a short reason for hangups.
 */
export const MAX_SIGNAL_SDP_CHARS = 16_384;
export const MAX_CANDIDATES_PER_SIGNAL = 32;
export const DEFAULT_HISTORY_LIMIT = 25;
export const MAX_HISTORY_LIMIT = 50;

const id = z.uuid({ message: "must be an id" });
/** Call ids are compared as text (glare: the lesser wins), so they are kept in lower case. */
const callId = id.transform((value) => value.toLowerCase());
/** A device id: the session id, or the one the client gave in the handshake. */
export const deviceIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a device id");
/** Whether `s` has a control character; `allowBreaks` lets CR, LF and tab through (SDP is CRLF-separated). */
function hasControl(s: string, allowBreaks: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code === 0x7f || (code < 0x20 && !(allowBreaks && (code === 0x0a || code === 0x0d || code === 0x09)))) return true;
  }
  return false;
}
const sdpText = z
  .string()
  .min(1)
  .max(MAX_SIGNAL_SDP_CHARS)
  .refine((s) => !hasControl(s, true), "must not contain control characters")
  .refine((s) => s.startsWith("v=0"), "must be an SDP description");
const line = (max: number) => z.string().max(max).refine((s) => !hasControl(s, false), "must not contain control characters");

export const inviteSchema = z.strictObject({
  conversationId: id,
  mediaType: z.enum(MEDIA_TYPES),
  /** A client-chosen id (glare: the lesser id wins, so a client can tell the outcome too). */
  callId: callId.optional(),
});
export type InviteInput = z.infer<typeof inviteSchema>;

/** accept / decline / hangup / resume: a call, and optionally the version the device last saw (compare-and-set). */
export const callRefSchema = z.strictObject({ callId, version: z.number().int().min(1).max(1_000_000).optional() });
export type CallRefInput = z.infer<typeof callRefSchema>;

export const SIGNAL_KINDS = ["offer", "answer", "candidates", "renegotiate", "hangup"] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

const description = (type: "offer" | "answer") => z.strictObject({ type: z.literal(type), sdp: sdpText });
const candidate = z.strictObject({
  // "" is the end-of-candidates marker.
  candidate: line(1024),
  sdpMid: line(64).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
  usernameFragment: line(256).nullable().optional(),
});

const signalBase = { callId, toDeviceId: deviceIdSchema.optional() };
export const signalSchema = z.discriminatedUnion("kind", [
  z.strictObject({ ...signalBase, kind: z.literal("offer"), payload: description("offer") }),
  z.strictObject({ ...signalBase, kind: z.literal("answer"), payload: description("answer") }),
  z.strictObject({ ...signalBase, kind: z.literal("renegotiate"), payload: z.union([description("offer"), description("answer")]) }),
  z.strictObject({ ...signalBase, kind: z.literal("candidates"), payload: z.strictObject({ candidates: z.array(candidate).min(1).max(MAX_CANDIDATES_PER_SIGNAL) }) }),
  z.strictObject({ ...signalBase, kind: z.literal("hangup"), payload: z.strictObject({ reason: line(64).optional() }) }),
]);
export type SignalInput = z.infer<typeof signalSchema>;

/** Opaque history cursors are base64url. */
const cursorSchema = z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, "must be a cursor");
const flag = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

export const historyQuerySchema = z.strictObject({
  status: z.enum(CALL_STATES).optional(),
  mediaType: z.enum(MEDIA_TYPES).optional(),
  /** Only calls with this user. */
  peer: id.optional(),
  /** Only calls this user missed. */
  missedOnly: flag.optional(),
  cursor: cursorSchema.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_HISTORY_LIMIT).default(DEFAULT_HISTORY_LIMIT),
});
export type HistoryQuery = z.infer<typeof historyQuerySchema>;

export const callIdParamsSchema = z.strictObject({ id });
