import type { ErrorBody } from "../errors/app-error.js";

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
export interface ServerToClientEvents {
  "session:revoked": (event: SessionRevokedEvent) => void;
  "system:notice": (event: { message: string }) => void;
}

export interface ClientToServerEvents {
  /** Round-trip check; answers with the server's clock. */
  "system:ping": (payload: unknown, ack: Ack<{ serverTime: string }>) => void;
}

export interface InterServerEvents {
  ping: () => void;
}

/** What the gateway keeps on each socket after the handshake. */
export interface SocketData {
  userId: string;
  sessionId: string;
  roles: string[];
}
