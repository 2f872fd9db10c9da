import { mkdirSync } from "node:fs";
import path from "node:path";
import { FileStore } from "@tus/file-store";
import { S3Store } from "@tus/s3-store";
import type { DataStore } from "@tus/utils";
import { LocalObjectStorage } from "../storage/local-storage.js";
import type { ObjectStorage } from "../storage/object-storage.js";
import { S3ObjectStorage } from "../storage/s3-storage.js";

/**
 * The tus data store over the same storage as everything else, so a finished
 * resumable upload is already an object at `tus/<uploadId>`: files under the
 * local directory, or an S3 multipart upload in the bucket.
 */
export function createTusStore(storage: ObjectStorage): DataStore {
  if (storage instanceof LocalObjectStorage) {
    mkdirSync(path.join(storage.root, "tus"), { recursive: true });
    return new FileStore({ directory: storage.root });
  }
  if (storage instanceof S3ObjectStorage) {
    const { options } = storage;
    return new S3Store({
      partSize: 8 * 1024 * 1024,
      useTags: false,
      s3ClientConfig: {
        bucket: options.bucket,
        region: options.region,
        forcePathStyle: options.forcePathStyle,
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        ...(options.accessKeyId && options.secretAccessKey ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } } : {}),
      },
    });
  }
  throw new Error("Resumable uploads need the local or the S3 storage adapter");
}
