import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { AnyOutboxEntry, DomainEvents } from "../events/domain-events.js";
import { countingHash } from "../storage/counting-hash.js";
import { StorageNotFoundError } from "../storage/object-storage.js";
import { MediaRejected, type MediaInspector } from "./media-inspector.js";
import { outputBase, tusSideKeys } from "./media-keys.js";
import { EXTENSIONS, PUBLIC_PURPOSES, sniffMatches } from "./media-policy.js";
import type { MediaUploadDoc } from "./media.repository.js";
import type { MediaServiceDeps } from "./media.service.js";
import type { MediaStatus } from "./media.types.js";

/** What processing needs back from the upload service: the owner's status push and the removal of an upload's objects. */
export interface UploadLifecycle {
  push(doc: MediaUploadDoc): void;
  deleteObjects(doc: MediaUploadDoc): Promise<void>;
}

/**
 * The `media.process` job's work on one upload: reads the bytes once (size and
 * sha256 while streaming), sniffs the type, decodes or probes, writes the
 * outputs and marks the upload ready with `media.upload-ready`; a file that
 * fails the checks becomes `failed` (with `media.upload-failed`) and its objects go.
 */
export class MediaProcessor {
  constructor(
    private readonly deps: Pick<MediaServiceDeps, "repository" | "storage" | "logger" | "events">,
    private readonly inspector: MediaInspector,
    private readonly lifecycle: UploadLifecycle,
  ) {}

  /**
   * The `media.process` job: reads the bytes once (size and sha256 while
   * streaming), sniffs the type, decodes/probes, writes the outputs and marks
   * the upload ready; a file that fails becomes `failed` and its objects go.
   */
  async process(uploadId: string): Promise<{ status: MediaStatus } | { skipped: string }> {
    const { repository, logger } = this.deps;
    let doc = await repository.findById(uploadId);
    if (!doc) return { skipped: "upload gone" };
    if (doc.status === "uploaded") {
      doc = (await repository.transition(uploadId, ["uploaded"], "processing")) ?? doc;
      if (doc.status === "processing") this.lifecycle.push(doc);
    }
    if (doc.status !== "processing") return { skipped: `upload is ${doc.status}` };
    const work = await mkdtemp(path.join(os.tmpdir(), "cw-media-"));
    try {
      const ready = await this.check(doc, work);
      this.lifecycle.push(ready);
      return { status: "ready" };
    } catch (error) {
      if (!(error instanceof MediaRejected)) throw error;
      logger.info({ uploadId, reason: error.reason }, "upload rejected");
      await this.fail(doc, error.reason);
      return { status: "failed" };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  private async check(doc: MediaUploadDoc, work: string): Promise<MediaUploadDoc> {
    const { storage, repository } = this.deps;
    const file = path.join(work, "source");
    const { size, sha256 } = await this.download(doc, file);
    const sniffed = await this.inspector.sniff(file);
    if (!sniffMatches(doc.mimeType, sniffed)) {
      throw new MediaRejected(`the bytes are ${sniffed ?? "not of a known type"}, not ${doc.mimeType}`);
    }
    const visibility = PUBLIC_PURPOSES.has(doc.purpose) ? "public" : "private";
    const base = outputBase(visibility, doc.ownerId, doc._id);
    const set: Partial<MediaUploadDoc> = { size, readyAt: new Date() };
    let mainKey = doc.sourceKey;
    let checksum = sha256;
    const variants: MediaUploadDoc["variants"] = {};
    if (doc.kind === "image") {
      const out = await this.inspector.processImage(file, doc.mimeType, work);
      mainKey = `${base}/image.${EXTENSIONS[doc.mimeType]}`;
      const keys = { thumbnail: `${base}/thumbnail.webp`, display: `${base}/display.webp` };
      await repository.claimObjects(doc._id, [mainKey, keys.thumbnail, keys.display]);
      const cacheControl = visibility === "public" ? "public, max-age=31536000, immutable" : "private, max-age=3600";
      await storage.putFile(mainKey, out.main.path, { contentType: out.main.mimeType, cacheControl });
      for (const name of ["thumbnail", "display"] as const) {
        await storage.putFile(keys[name], out[name].path, { contentType: "image/webp", cacheControl });
        variants[name] = { key: keys[name], mimeType: "image/webp", width: out[name].width, height: out[name].height, size: out[name].size };
      }
      set.size = out.main.size;
      checksum = await sha256File(out.main.path);
      set.metadata = { width: out.main.width, height: out.main.height, checksum };
    } else if (doc.kind === "video" || doc.kind === "audio") {
      const probed = await this.inspector.probe(file, doc.kind);
      await this.inspector.checkTail(file);
      set.metadata = { ...probed, checksum };
    } else {
      if (doc.mimeType === "text/plain") await this.inspector.checkText(file);
      else await this.inspector.checkNoMarkup(file);
      if (doc.mimeType === "application/pdf") await this.inspector.checkPdf(file);
      set.metadata = { checksum };
    }
    if (doc.kind !== "image" && visibility === "public") {
      // Public media moves under public/ (private bytes stay where they landed: no copy of a large video).
      mainKey = `${base}/original.${EXTENSIONS[doc.mimeType]}`;
      await repository.claimObjects(doc._id, [mainKey]);
      await storage.putFile(mainKey, file, { contentType: doc.mimeType, ...(visibility === "public" ? { cacheControl: "public, max-age=31536000, immutable" } : {}) });
    }
    set.mainKey = mainKey;
    set.variants = variants;
    const keep = [mainKey, ...Object.values(variants).map((v) => v.key)];
    const outbox = this.announce("media.upload-ready", { uploadId: doc._id, ownerId: doc.ownerId, purpose: doc.purpose });
    const ready = await repository.transition(doc._id, ["processing"], "ready", { set: { ...set, objects: keep }, unset: ["failureReason"], outbox });
    if (!ready) {
      // A second delivery of the job checked the same bytes alongside this one and finished first:
      // its outputs are under the same keys, so this run has nothing left to do.
      const settled = await repository.findById(doc._id);
      if (settled?.status === "ready") return settled;
      throw new Error(`upload ${doc._id} left processing while it was checked`);
    }
    for (const key of [doc.sourceKey, ...tusSideKeys(doc.sourceKey)]) if (!keep.includes(key)) await storage.delete(key);
    await this.published(ready, outbox);
    return ready;
  }

  /** Streams the source object to a file, counting and hashing; stops as soon as it exceeds the declared size. */
  private async download(doc: MediaUploadDoc, file: string): Promise<{ size: number; sha256: string }> {
    let object;
    try {
      object = await this.deps.storage.get(doc.sourceKey);
    } catch (error) {
      if (error instanceof StorageNotFoundError) throw new MediaRejected("no bytes were received");
      throw error;
    }
    const declared = doc.size;
    const counter = countingHash("sha256", declared, () => new MediaRejected(`the file is larger than the declared ${declared} bytes`));
    await pipeline(object.body, counter.stream, createWriteStream(file));
    const size = counter.size();
    if (size === 0) throw new MediaRejected("the file is empty");
    if (size < declared) throw new MediaRejected(`the file is truncated (${size} of ${declared} bytes)`);
    return { size, sha256: counter.digest() };
  }

  /** The processing job gave up (every attempt failed or timed out): the upload fails instead of staying `processing`. */
  async giveUp(uploadId: string, error: Error): Promise<void> {
    const doc = await this.deps.repository.findById(uploadId);
    if (!doc || (doc.status !== "processing" && doc.status !== "uploaded")) return;
    this.deps.logger.warn({ uploadId, err: error }, "upload processing gave up");
    if (doc.status === "uploaded") await this.deps.repository.transition(uploadId, ["uploaded"], "processing");
    await this.fail(doc, "the file could not be processed");
  }

  private async fail(doc: MediaUploadDoc, reason: string): Promise<void> {
    const failureReason = reason.slice(0, 500);
    const outbox = this.announce("media.upload-failed", { uploadId: doc._id, ownerId: doc.ownerId, purpose: doc.purpose, reason: failureReason });
    const failed = await this.deps.repository.transition(doc._id, ["processing"], "failed", { set: { failureReason }, outbox });
    const current = failed ?? (await this.deps.repository.findById(doc._id)) ?? doc;
    await this.lifecycle.deleteObjects(current);
    if (failed) {
      this.lifecycle.push(failed);
      await this.published(failed, outbox);
    }
  }

  /** The outbox entry of an event, when a durable subscriber listens (otherwise the write carries none). */
  private announce<N extends "media.upload-ready" | "media.upload-failed">(name: N, payload: DomainEvents[N]): AnyOutboxEntry[] {
    const { events } = this.deps;
    return events?.hasDurable(name) ? [events.record(name, payload) as AnyOutboxEntry] : [];
  }

  private async published(doc: MediaUploadDoc, outbox: AnyOutboxEntry[]): Promise<void> {
    if (outbox.length > 0) await this.deps.events?.published({ collection: "mediaUploads", filter: { _id: doc._id, ownerId: doc.ownerId } }, outbox);
  }
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
