import type { ErrorBody } from "../errors/app-error.js";

/**
 * What every socket speaks whatever the domains: acknowledgements, the
 * session's life, the clock. Each domain declares its own maps in
 * `<domain>.events.ts`; `shared/runtime/socket-events.ts` composes them into
 * the `ServerToClientEvents`/`ClientToServerEvents` the server, the tests and
 * the web client use. Every client event takes an acknowledgement that
 * receives either `{ ok: true, data }` or `{ ok: false, error }`.
 */
export type AckResponse<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
export type Ack<T> = (response: AckResponse<T>) => void;

/** Sent to every socket of a session when it is revoked, just before disconnecting. */
export interface SessionRevokedEvent {
  sessionId: string;
  reason: "logout" | "revoked" | "password_changed" | "disabled" | "reused" | "expired";
}

/** Any map of event names to listener signatures. */
export type EventSignatures = { [event: string]: (...args: any[]) => void }; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface CoreServerToClientEvents {
  "session:revoked": (event: SessionRevokedEvent) => void;
  /**
   * The socket's access token expires in `expiresInMs`; send `auth:refresh`
   * with a new one before then, or the socket is disconnected at expiry.
   */
  "auth:expiring": (event: { expiresAt: string; expiresInMs: number }) => void;
  /** The access token expired without a refresh; the server disconnects the socket right after. */
  "auth:expired": (event: { expiredAt: string }) => void;
  "system:notice": (event: { message: string }) => void;
}

export interface CoreClientToServerEvents {
  /** Round-trip check; answers with the server's clock. */
  "system:ping": (payload: unknown, ack: Ack<{ serverTime: string }>) => void;
  /** Presents a fresh access token of the same user, extending the socket's life to its expiry. */
  "auth:refresh": (payload: { token: string }, ack: Ack<{ expiresAt: string }>) => void;
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
  /** The device id the client itself presented (`auth.deviceId`), if any: presence replaces its stale entries by it. */
  clientDeviceId?: string;
  roles: string[];
  /** When the access token the socket last presented expires (epoch ms). */
  expiresAt: number;
}
