import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  assertObjectKey,
  StorageLengthError,
  StorageNotFoundError,
  StorageRangeError,
  type GetOptions,
  type GetResult,
  type ObjectInfo,
  type ObjectStorage,
  type PutOptions,
  type SignedUrlOptions,
} from "./object-storage.js";
import { countingHash } from "./counting-hash.js";
import type { UrlSigner } from "./url-signature.js";

interface Sidecar {
  contentType: string;
  etag: string;
  cacheControl?: string;
}

/** Where an object's metadata lives: a parallel tree no key can reach (keys never start with a dot). */
const META_DIR = ".meta";
const TMP_DIR = ".tmp";

/**
 * Objects as files under one directory. URLs point at the API (`/media/<key>`),
 * which checks their HMAC signature (`UrlSigner`) and serves or stores the bytes.
 */
export class LocalObjectStorage implements ObjectStorage {
  readonly root: string;

  constructor(
    root: string,
    private readonly options: { signer: UrlSigner; baseUrl: string; publicBaseUrl: string },
  ) {
    this.root = path.resolve(root);
  }

  /** The file of `key`; the key check plus the prefix check make escaping the root impossible. */
  filePath(key: string): string {
    assertObjectKey(key);
    const file = path.resolve(this.root, ...key.split("/"));
    if (!file.startsWith(this.root + path.sep)) throw new Error(`Invalid object key: ${key}`);
    return file;
  }

  private metaPath(key: string): string {
    return path.join(this.root, META_DIR, `${key}.json`);
  }

  async put(key: string, body: Readable | Buffer, options: PutOptions): Promise<{ size: number; etag: string }> {
    const file = this.filePath(key);
    const tmpDir = path.join(this.root, TMP_DIR);
    await mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, randomUUID());
    const expected = options.contentLength;
    const counter = countingHash("md5", expected, (size) => new StorageLengthError(expected!, size));
    try {
      await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, counter.stream, createWriteStream(tmp));
      const size = counter.size();
      if (expected !== undefined && size !== expected) throw new StorageLengthError(expected, size);
      const etag = `"${counter.digest()}"`;
      await mkdir(path.dirname(file), { recursive: true });
      await mkdir(path.dirname(this.metaPath(key)), { recursive: true });
      const sidecar: Sidecar = { contentType: options.contentType, etag, ...(options.cacheControl ? { cacheControl: options.cacheControl } : {}) };
      await writeFile(this.metaPath(key), JSON.stringify(sidecar));
      await rename(tmp, file);
      return { size, etag };
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  putFile(key: string, localPath: string, options: PutOptions): Promise<{ size: number; etag: string }> {
    return this.put(key, createReadStream(localPath), options);
  }

  private async sidecar(key: string): Promise<Sidecar | undefined> {
    try {
      return JSON.parse(await readFile(this.metaPath(key), "utf8")) as Sidecar;
    } catch {
      return undefined;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const file = this.filePath(key);
    let info;
    try {
      info = await stat(file);
    } catch {
      return null;
    }
    if (!info.isFile()) return null;
    const meta = await this.sidecar(key);
    return {
      key,
      size: info.size,
      etag: meta?.etag ?? `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`,
      contentType: meta?.contentType ?? "application/octet-stream",
      lastModified: info.mtime,
    };
  }

  /** The Cache-Control stored with an object, for the API route that serves it. */
  async cacheControl(key: string): Promise<string | undefined> {
    return (await this.sidecar(key))?.cacheControl;
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    const info = await this.head(key);
    if (!info) throw new StorageNotFoundError(key);
    const result: GetResult = { body: Readable.from([]), size: info.size, contentType: info.contentType, etag: info.etag };
    if (options.range) {
      const start = options.range.start;
      const end = Math.min(options.range.end ?? info.size - 1, info.size - 1);
      if (start >= info.size || start > end) throw new StorageRangeError(info.size);
      result.body = createReadStream(this.filePath(key), { start, end });
      result.contentRange = `bytes ${start}-${end}/${info.size}`;
    } else {
      result.body = createReadStream(this.filePath(key));
    }
    return result;
  }

  async delete(key: string): Promise<void> {
    await rm(this.filePath(key), { force: true });
    await rm(this.metaPath(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<number> {
    let count = 0;
    for await (const object of this.list(prefix)) {
      await this.delete(object.key);
      count++;
    }
    return count;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    // Walk only the deepest directory the prefix names, then filter by the rest.
    const slash = prefix.lastIndexOf("/");
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : "";
    const start = dirKey ? this.filePath(dirKey) : this.root;
    yield* this.walk(start, dirKey, prefix);
  }

  private async *walk(dir: string, dirKey: string, prefix: string): AsyncIterable<ObjectInfo> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      if (!dirKey && entry.name.startsWith(".")) continue;
      const key = dirKey ? `${dirKey}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.walk(path.join(dir, entry.name), key, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const info = await this.head(key).catch(() => null);
        if (info) yield info;
      }
    }
  }

  async signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    assertObjectKey(key);
    const grant = {
      method: options.method,
      key,
      expires: Math.floor(Date.now() / 1000) + options.expiresInSeconds,
      ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
      ...(options.contentLength === undefined ? {} : { contentLength: options.contentLength }),
      ...(options.disposition === undefined ? {} : { disposition: options.disposition }),
    };
    return `${this.options.baseUrl}/${encodeKey(key)}?${this.options.signer.query(grant)}`;
  }

  publicUrl(key: string): string {
    assertObjectKey(key);
    return `${this.options.publicBaseUrl}/${encodeKey(key)}`;
  }
}

const encodeKey = (key: string): string => key.split("/").map(encodeURIComponent).join("/");
