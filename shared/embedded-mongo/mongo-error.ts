/** MongoDB server error codes the embedded server raises, with their code names. */
export const ErrorCodes = {
  BadValue: 2,
  Unauthorized: 13,
  AlreadyInitialized: 23,
  ShardKeyNotFound: 61,
  FailedToParse: 9,
  TypeMismatch: 14,
  IllegalOperation: 20,
  IndexNotFound: 27,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  InvalidOptions: 72,
  CommandNotFound: 59,
  ImmutableField: 66,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  NamespaceNotFound: 26,
  DocumentValidationFailure: 121,
  NotImplemented: 238,
  NoQueryExecutionPlans: 291,
  Location17419: 17419,
  Location40324: 40324,
  Location16755: 16755,
  Location40602: 40602,
  Location40579: 40579,
  Location40177: 40177,
  Location15981: 15981,
  Location28818: 28818,
  Location28822: 28822,
  Location40201: 40201,
  Location40198: 40198,
  Location40192: 40192,
  Location40194: 40194,
  Location40199: 40199,
  Location40196: 40196,
  Location40066: 40066,
  Location40169: 40169,
  Location40170: 40170,
  Location40600: 40600,
  BSONObjectTooLarge: 10334,
  DuplicateKey: 11000,
  InvalidIndexSpecificationOption: 197,
  CannotCreateIndex: 67,
  CannotIndexParallelArrays: 171,
  Interrupted: 11601,
} as const;

export type ErrorCodeName = keyof typeof ErrorCodes;

/**
 * An error reported to the client as a failed command (`ok: 0`) or a write error.
 * `extra` carries the fields MongoDB adds beside errmsg/code (keyPattern, errInfo, ...).
 */
export class MongoServerError extends Error {
  readonly code: number;
  readonly codeName: string;

  constructor(codeName: ErrorCodeName, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
    this.code = ErrorCodes[codeName];
    this.codeName = codeName.startsWith('Location') ? '' : codeName;
  }

  /** The error as it appears inside a reply: `{ errmsg, code, codeName, ...extra }`. */
  toReply(): Record<string, unknown> {
    const reply: Record<string, unknown> = { errmsg: this.message, code: this.code };
    if (this.codeName) reply.codeName = this.codeName;
    return { ...reply, ...this.extra };
  }
}

/** Shorthand for a BadValue error, the catch-all for malformed command arguments. */
export function badValue(message: string): MongoServerError {
  return new MongoServerError('BadValue', message);
}
