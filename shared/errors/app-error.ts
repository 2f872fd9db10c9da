/**
 * Every error a client may see carries a stable machine code. The HTTP status,
 * the socket acknowledgement and the job outcome are all derived from it.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  INVALID_CREDENTIALS: 401,
  TWO_FACTOR_REQUIRED: 401,
  SESSION_REVOKED: 401,
  INVALID_TOKEN: 400,
  INVALID_CODE: 400,
  WRONG_PASSWORD: 403,
  FORBIDDEN: 403,
  BLOCKED: 403,
  MESSAGING_NOT_ALLOWED: 403,
  ACCOUNT_DISABLED: 403,
  NOT_FOUND: 404,
  UNKNOWN_EVENT: 404,
  USER_NOT_FOUND: 404,
  PROFILE_NOT_FOUND: 404,
  CONVERSATION_NOT_FOUND: 404,
  MESSAGE_NOT_FOUND: 404,
  POST_NOT_FOUND: 404,
  COMMENT_NOT_FOUND: 404,
  NO_CHANGES: 400,
  POLL_CLOSED: 409,
  ALREADY_VOTED: 409,
  SESSION_NOT_FOUND: 404,
  ROLE_NOT_FOUND: 404,
  MEDIA_NOT_FOUND: 404,
  CALL_NOT_FOUND: 404,
  PARTY_NOT_FOUND: 404,
  NOT_A_PARTY: 403,
  CALL_ENDED: 409,
  CALL_NOT_RINGING: 409,
  ANSWERED_ELSEWHERE: 409,
  ALREADY_IN_CALL: 409,
  DEVICE_CONFLICT: 409,
  VERSION_CONFLICT: 409,
  CALL_TOO_LARGE: 409,
  CALL_FULL: 409,
  CONFLICT: 409,
  ALREADY_EXISTS: 409,
  GROUP_FULL: 409,
  TOKEN_ROTATED: 409,
  MEDIA_NOT_READY: 409,
  UPLOAD_INCOMPLETE: 409,
  UPLOAD_EXPIRED: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  MEDIA_REJECTED: 422,
  RATE_LIMITED: 429,
  TOO_MANY_CONNECTIONS: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The shape an error takes on the wire, in an HTTP body or a socket ack. */
export interface ErrorBody {
  code: ErrorCode | (string & {});
  message: string;
  details?: unknown;
}

export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    this.status = options?.status ?? ERROR_STATUS[code];
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** Whether a failure is the client's (4xx): such a job must not be retried. */
export function isClientError(error: unknown): error is AppError {
  return error instanceof AppError && error.status < 500;
}

/** Driver errors that mean "the store cannot be reached right now" (by name, so no driver is imported here). */
const UNREACHABLE_STORE_ERRORS = new Set([
  "MongoServerSelectionError",
  "MongoNetworkError",
  "MongoNetworkTimeoutError",
  "MongoPoolClearedError",
  "MongoNotConnectedError",
  "MongoTopologyClosedError",
]);
const UNREACHABLE_SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH"]);

/** Seconds a client is told to wait (Retry-After) when a store is unreachable. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * Whether a failure is a store that cannot be reached (MongoDB stopped or
 * electing, PostgreSQL refusing connections): a 503 the client may retry,
 * not a 500.
 */
export function isStoreUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (UNREACHABLE_STORE_ERRORS.has(error.name)) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && UNREACHABLE_SOCKET_CODES.has(code);
}

/** The AppError a client sees for anything thrown (UNAVAILABLE for an unreachable store, else INTERNAL). */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isStoreUnavailable(error)) {
    return new AppError("UNAVAILABLE", "A data store is unavailable; retry shortly", { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS }, { cause: error });
  }
  return new AppError("INTERNAL", "Something went wrong on our side", undefined, { cause: error });
}

/** Turns anything thrown into the body a client sees, never leaking internals. */
export function toErrorBody(error: unknown): ErrorBody {
  return toAppError(error).toBody();
}

export const notFound = (code: ErrorCode, message: string): AppError => new AppError(code, message);
export const forbidden = (message = "You are not allowed to do that"): AppError =>
  new AppError("FORBIDDEN", message);
