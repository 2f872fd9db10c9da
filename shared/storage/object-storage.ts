import type { Readable } from "node:stream";

/** What the store knows about one object. */
export interface ObjectInfo {
  key: string;
  size: number;
  etag: string;
  contentType: string;
  lastModified: Date;
}

export interface PutOptions {
  contentType: string;
  /** When given, a body of any other length is refused and nothing is stored. */
  contentLength?: number;
  cacheControl?: string;
}

export interface GetOptions {
  /** Inclusive byte range, as in an HTTP `Range: bytes=start-end` header. */
  range?: { start: number; end?: number };
}

export interface GetResult {
  body: Readable;
  /** Size of the whole object (not of the range). */
  size: number;
  contentType: string;
  etag: string;
  /** `bytes start-end/size` when a range was asked for. */
  contentRange?: string;
}

export interface SignedUrlOptions {
  method: "GET" | "PUT";
  expiresInSeconds: number;
  /** PUT: the Content-Type the uploader must send. GET: the Content-Type served. */
  contentType?: string;
  /** PUT: the exact body length the uploader must send. */
  contentLength?: number;
  /** GET: a Content-Disposition to serve (e.g. `attachment; filename="a.pdf"`). */
  disposition?: string;
}

/**
 * The one port every domain stores bytes through (media uploads, video
 * renditions). Keys are `/`-separated relative paths of safe characters
 * (see `assertObjectKey`); adapters: local filesystem and S3.
 */
export interface ObjectStorage {
  /** Stores `body` under `key`, replacing what was there. */
  put(key: string, body: Readable | Buffer, options: PutOptions): Promise<{ size: number; etag: string }>;
  /** Convenience: stores a local file. */
  putFile(key: string, localPath: string, options: PutOptions): Promise<{ size: number; etag: string }>;
  /** Throws `StorageNotFoundError` when missing, `StorageRangeError` for an unsatisfiable range. */
  get(key: string, options?: GetOptions): Promise<GetResult>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** Deletes every object whose key starts with `prefix` (which must end with `/`). */
  deletePrefix(prefix: string): Promise<number>;
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** A URL that lets its bearer GET or PUT this one object until it expires. */
  signedUrl(key: string, options: SignedUrlOptions): Promise<string>;
  /** The stable URL of an object under the public prefix (CDN or bucket). */
  publicUrl(key: string): string;
}

export class StorageNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`No object at ${key}`);
    this.name = "StorageNotFoundError";
  }
}

export class StorageRangeError extends Error {
  constructor(readonly size: number) {
    super("Range not satisfiable");
    this.name = "StorageRangeError";
  }
}

/** The body was longer or shorter than the declared length: nothing was stored. */
export class StorageLengthError extends Error {
  constructor(
    readonly expected: number,
    readonly received: number,
  ) {
    super(`Body length ${received} does not match the declared ${expected}`);
    this.name = "StorageLengthError";
  }
}

const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

/** Refuses keys that could escape a directory or confuse a URL (no `..`, no leading `/`, no odd characters). */
export function assertObjectKey(key: string): void {
  if (key.length === 0 || key.length > 512 || !KEY.test(key) || key.split("/").some((part) => part === "." || part === "..")) {
    throw new Error(`Invalid object key: ${JSON.stringify(key)}`);
  }
}

export function isValidObjectKey(key: string): boolean {
  try {
    assertObjectKey(key);
    return true;
  } catch {
    return false;
  }
}

/** Parses one `Range: bytes=a-b` header (suffix ranges too); undefined for none or several ranges. */
export function parseRangeHeader(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}
