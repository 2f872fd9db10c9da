import { createReadStream } from "node:fs";
import { copyFile, mkdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { VideoObjectStorage } from "./video-storage.js";

const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*\/?$/;

function resolveKey(root: string, key: string): string {
  if (!KEY.test(key) || key.split("/").some((part) => part === "..")) throw new Error(`Invalid object key: ${JSON.stringify(key)}`);
  return path.join(root, key);
}

/**
 * A local-directory object store with the video storage port's shape: the
 * stand-in until the media module's storage (filesystem + S3 adapters) is
 * composed in.
 */
export class DirectoryVideoStorage implements VideoObjectStorage {
  constructor(private readonly root: string) {}

  async putFile(key: string, localPath: string): Promise<{ size: number; etag: string }> {
    const target = resolveKey(this.root, key);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(localPath, target);
    const info = await stat(target);
    return { size: info.size, etag: `${info.size}-${info.mtimeMs}` };
  }

  async get(key: string, options: { range?: { start: number; end?: number } } = {}) {
    const file = resolveKey(this.root, key);
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw Object.assign(new Error(`No object at ${key}`), { name: "StorageNotFoundError" });
    const { range } = options;
    const body = range ? createReadStream(file, { start: range.start, end: range.end }) : createReadStream(file);
    return {
      body,
      size: info.size,
      contentType: "application/octet-stream",
      etag: `${info.size}-${info.mtimeMs}`,
      ...(range ? { contentRange: `bytes ${range.start}-${range.end ?? info.size - 1}/${info.size}` } : {}),
    };
  }

  async head(key: string): Promise<{ size: number } | null> {
    const info = await stat(resolveKey(this.root, key)).catch(() => null);
    return info?.isFile() ? { size: info.size } : null;
  }

  localPath(key: string): string | null {
    return resolveKey(this.root, key);
  }

  async deletePrefix(prefix: string): Promise<number> {
    if (!prefix.endsWith("/")) throw new Error("A prefix ends with /");
    await rm(resolveKey(this.root, prefix), { recursive: true, force: true });
    return 1;
  }
}
