import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
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

export interface S3StorageOptions {
  bucket: string;
  region: string;
  endpoint?: string;
  /** The endpoint clients reach the bucket at, when it differs from the servers' (MinIO in docker-compose). Presigned URLs name it. */
  presignEndpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** MinIO and most S3-compatible servers want path-style URLs. */
  forcePathStyle: boolean;
  /** Base of public URLs (a CDN in front of the bucket's public prefix). */
  publicBaseUrl: string;
  /** Where the SDK's own warnings go (default: nowhere; the adapter reports failures by throwing). */
  logger?: { debug(message: string): void; info(message: string): void; warn(message: string): void; error(message: string): void };
}

const QUIET = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

const statusOf = (error: unknown): number | undefined => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const isMissing = (error: unknown): boolean => {
  const name = (error as { name?: string }).name;
  return name === "NoSuchKey" || name === "NotFound" || statusOf(error) === 404;
};

/**
 * Objects in one S3 bucket (AWS, MinIO, GCS's S3-compatible endpoint), with
 * presigned URLs. A signed PUT carries its Content-Type and Content-Length as
 * signed headers, so the server refuses any other body.
 */
export class S3ObjectStorage implements ObjectStorage {
  readonly client: S3Client;
  private readonly presigner: S3Client;

  constructor(readonly options: S3StorageOptions) {
    // Checksums only where S3 requires them: the default streams bodies as aws-chunked with a
    // trailing CRC, which GCS's S3 endpoint and several S3-compatible servers do not accept.
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      logger: options.logger ?? QUIET,
    };
    if (options.endpoint) config.endpoint = options.endpoint;
    if (options.accessKeyId && options.secretAccessKey) {
      config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
    }
    this.client = new S3Client(config);
    this.presigner = options.presignEndpoint ? new S3Client({ ...config, endpoint: options.presignEndpoint }) : this.client;
  }

  async put(key: string, body: Readable | Buffer, options: PutOptions): Promise<{ size: number; etag: string }> {
    assertObjectKey(key);
    let payload: Readable | Buffer = body;
    let lengthError: unknown;
    const abort = new AbortController();
    let length = options.contentLength;
    if (Buffer.isBuffer(body)) {
      if (length !== undefined && length !== body.length) throw new StorageLengthError(length, body.length);
      length = body.length;
    } else if (length !== undefined) {
      const expected = length;
      let seen = 0;
      const checker = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          seen += chunk.length;
          if (seen > expected) return callback(new StorageLengthError(expected, seen));
          callback(null, chunk);
        },
        flush(callback) {
          callback(seen === expected ? null : new StorageLengthError(expected, seen));
        },
      });
      pipeline(body, checker).catch((error: unknown) => {
        lengthError ??= error;
        abort.abort();
      });
      payload = checker;
    } else {
      // S3 needs a length for a single PUT: an unknown-length stream is buffered (small bodies only).
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      payload = Buffer.concat(chunks);
      length = payload.length;
    }
    let result;
    try {
      result = await this.client.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: key,
        Body: payload,
        ContentType: options.contentType,
        ContentLength: length,
        ...(options.cacheControl ? { CacheControl: options.cacheControl } : {}),
      }),
      { abortSignal: abort.signal },
    );
    } catch (error) {
      // The length check aborts the request: report why, not the broken socket.
      if (lengthError instanceof StorageLengthError) throw lengthError;
      throw error;
    }
    if (lengthError instanceof StorageLengthError) throw lengthError;
    return { size: length ?? 0, etag: result.ETag ?? "" };
  }

  async putFile(key: string, localPath: string, options: PutOptions): Promise<{ size: number; etag: string }> {
    const { size } = await stat(localPath);
    return this.put(key, createReadStream(localPath), { ...options, contentLength: size });
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    assertObjectKey(key);
    const range = options.range ? `bytes=${options.range.start}-${options.range.end ?? ""}` : undefined;
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key, ...(range ? { Range: range } : {}) }));
      const contentRange = result.ContentRange;
      const size = contentRange ? Number(contentRange.split("/")[1]) : (result.ContentLength ?? 0);
      return {
        body: result.Body as Readable,
        size,
        contentType: result.ContentType ?? "application/octet-stream",
        etag: result.ETag ?? "",
        ...(contentRange ? { contentRange } : {}),
      };
    } catch (error) {
      if (isMissing(error)) throw new StorageNotFoundError(key);
      if (statusOf(error) === 416) throw new StorageRangeError((await this.head(key))?.size ?? 0);
      throw error;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertObjectKey(key);
    try {
      const result = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return {
        key,
        size: result.ContentLength ?? 0,
        etag: result.ETag ?? "",
        contentType: result.ContentType ?? "application/octet-stream",
        lastModified: result.LastModified ?? new Date(0),
      };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
  }

  async deletePrefix(prefix: string): Promise<number> {
    let batch: string[] = [];
    let count = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.options.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
      count += batch.length;
      batch = [];
    };
    for await (const object of this.list(prefix)) {
      batch.push(object.key);
      if (batch.length === 1000) await flush();
    }
    await flush();
    return count;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const item of page.Contents ?? []) {
        if (!item.Key) continue;
        yield { key: item.Key, size: item.Size ?? 0, etag: item.ETag ?? "", contentType: "application/octet-stream", lastModified: item.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    assertObjectKey(key);
    const Bucket = this.options.bucket;
    if (options.method === "PUT") {
      const command = new PutObjectCommand({
        Bucket,
        Key: key,
        ...(options.contentType ? { ContentType: options.contentType } : {}),
        ...(options.contentLength === undefined ? {} : { ContentLength: options.contentLength }),
      });
      // Sign the headers too: the uploader must send exactly this type and length.
      return getSignedUrl(this.presigner, command, {
        expiresIn: options.expiresInSeconds,
        signableHeaders: new Set(["content-type", "content-length"]),
        unhoistableHeaders: new Set(["content-type", "content-length"]),
      });
    }
    const command = new GetObjectCommand({
      Bucket,
      Key: key,
      ...(options.contentType ? { ResponseContentType: options.contentType } : {}),
      ...(options.disposition ? { ResponseContentDisposition: options.disposition } : {}),
    });
    return getSignedUrl(this.presigner, command, { expiresIn: options.expiresInSeconds });
  }

  publicUrl(key: string): string {
    assertObjectKey(key);
    return `${this.options.publicBaseUrl}/${key.split("/").map(encodeURIComponent).join("/")}`;
  }
}
