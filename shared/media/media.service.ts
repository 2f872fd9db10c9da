import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Config } from "../config/config.js";
import type { AnyOutboxEntry, DomainEvents } from "../events/domain-events.js";
import type { DomainEventBus } from "../events/event-bus.js";
import { AppError } from "../errors/app-error.js";
import type { Logger } from "../logging/logger.js";
import type { JobQueue } from "../queues/job-queue.js";
import type { Realtime } from "../runtime/socket-events.js";
import { StorageNotFoundError, type ObjectStorage } from "../storage/object-storage.js";
import { MediaInspector, MediaRejected } from "./media-inspector.js";
import { outputBase, singleUploadKey, tusSideKeys, tusUploadKey, uploadIdOfSourceKey } from "./media-keys.js";
import { canonicalType, EXTENSIONS, kindOf, maxBytes, PUBLIC_PURPOSES, PURPOSE_KINDS, sniffMatches } from "./media-policy.js";
import type { MediaRepository, MediaUploadDoc, PublishedKeys } from "./media.repository.js";
import type { CreateUploadInput } from "./media.schema.js";
import type { MediaPurpose, MediaStatus, MediaUploadView, MediaUrls, UploadTarget, VariantName } from "./media.types.js";
import { contentDisposition, toView } from "./media-view.js";

export interface MediaServiceDeps {
  repository: MediaRepository;
  storage: ObjectStorage;
  jobs: Pick<JobQueue, "add">;
  realtime: Pick<Realtime, "toUsers">;
  config: Config;
  logger: Logger;
  /** Absolute URL of the tus endpoint (`/api/media/tus`). */
  tusEndpoint: string;
  /** Durable `media.upload-ready` / `media.upload-failed` events, recorded only while a subscriber listens. */
  events?: Pick<DomainEventBus, "record" | "published" | "hasDurable">;
}

export const mediaNotFound = (): AppError => new AppError("MEDIA_NOT_FOUND", "No such upload");


/**
 * Uploads: signed or resumable targets, completion, the checks on the bytes
 * and processing (a worker job), status pushes, URLs for the services that
 * show media, and release when nothing uses an upload any more.
 */
export class MediaService {
  readonly inspector: MediaInspector;

  constructor(private readonly deps: MediaServiceDeps) {
    this.inspector = new MediaInspector({ ffprobePath: deps.config.FFPROBE_PATH, ffmpegPath: deps.config.FFMPEG_PATH, maxImagePixels: deps.config.MEDIA_MAX_IMAGE_PIXELS });
  }

  /** Starts an upload: checks the claims (type for the purpose, size limit) and returns where to send the bytes. */
  async createUpload(actorId: string, input: CreateUploadInput): Promise<UploadTarget> {
    const { config } = this.deps;
    const mimeType = canonicalType(input.mimeType);
    const kind = kindOf(mimeType);
    if (!kind) throw new AppError("UNSUPPORTED_MEDIA_TYPE", `${input.mimeType} files are not accepted`);
    if (!PURPOSE_KINDS[input.purpose].includes(kind)) throw new AppError("UNSUPPORTED_MEDIA_TYPE", `A ${input.purpose} upload cannot be a ${kind}`);
    const limit = maxBytes(config, kind, input.purpose);
    if (input.size > limit) throw new AppError("PAYLOAD_TOO_LARGE", `A ${kind} for ${input.purpose} may be at most ${limit} bytes`, { maxBytes: limit });
    const resumable = input.resumable === true || input.size >= config.MEDIA_RESUMABLE_THRESHOLD_BYTES;
    const id = randomUUID();
    const now = new Date();
    const expiresAt = new Date(now.getTime() + config.MEDIA_UPLOAD_TTL_SECONDS * 1000);
    const sourceKey = resumable ? tusUploadKey(id) : singleUploadKey(actorId, id);
    const doc: MediaUploadDoc = {
      _id: id,
      ownerId: actorId,
      purpose: input.purpose,
      status: "pending",
      kind,
      mimeType,
      size: input.size,
      ...(input.fileName ? { fileName: input.fileName } : {}),
      ...(resumable ? { resumable: true } : {}),
      sourceKey,
      objects: [sourceKey],
      metadata: {},
      variants: {},
      refs: [],
      expiresAt,
      createdAt: now,
      updatedAt: now,
    };
    await this.deps.repository.insert(doc);
    const upload = toView(doc);
    if (resumable) {
      return { upload, tus: { endpoint: this.deps.tusEndpoint, metadata: { uploadId: id, filetype: mimeType }, expiresAt: expiresAt.toISOString() } };
    }
    const url = await this.deps.storage.signedUrl(sourceKey, { method: "PUT", expiresInSeconds: config.MEDIA_UPLOAD_TTL_SECONDS, contentType: mimeType, contentLength: input.size });
    return { upload, put: { url, method: "PUT", headers: { "content-type": mimeType }, expiresAt: expiresAt.toISOString() } };
  }

  async get(actorId: string, uploadId: string): Promise<MediaUploadView> {
    const doc = await this.deps.repository.findOwned(actorId, uploadId);
    if (!doc) throw mediaNotFound();
    return toView(doc);
  }

  /** The client says the bytes are sent: they must be there; then the upload is checked in a job. Idempotent. */
  async complete(actorId: string, uploadId: string): Promise<MediaUploadView> {
    const doc = await this.deps.repository.findOwned(actorId, uploadId);
    if (!doc) throw mediaNotFound();
    if (doc.status !== "pending") {
      if (doc.status === "expired") throw new AppError("UPLOAD_EXPIRED", "This upload has expired");
      return toView(doc);
    }
    if (doc.expiresAt && doc.expiresAt.getTime() < Date.now()) throw new AppError("UPLOAD_EXPIRED", "This upload has expired");
    const object = doc.resumable ? null : await this.deps.storage.head(doc.sourceKey);
    if (!object || object.size !== doc.size) throw new AppError("UPLOAD_INCOMPLETE", "The bytes of this upload have not all arrived");
    return toView((await this.markUploaded(uploadId)) ?? doc);
  }

  /** Whether a signed PUT may store `key` now: an upload's URL works while it is pending and only once. */
  async beforeSignedPut(key: string): Promise<void> {
    const uploadId = uploadIdOfSourceKey(key);
    if (!uploadId) {
      if (await this.deps.storage.head(key)) throw new AppError("CONFLICT", "This object was already uploaded");
      return;
    }
    const doc = await this.deps.repository.findById(uploadId);
    if (!doc || doc.sourceKey !== key) throw mediaNotFound();
    if (doc.status === "expired" || (doc.status === "pending" && doc.expiresAt && doc.expiresAt.getTime() < Date.now())) {
      throw new AppError("UPLOAD_EXPIRED", "This upload has expired");
    }
    if (doc.status !== "pending" || (await this.deps.storage.head(key))) throw new AppError("CONFLICT", "This upload link was already used");
  }

  /** The bytes of a signed PUT are stored: the upload is complete without waiting for the client to say so. */
  async afterSignedPut(key: string): Promise<void> {
    const uploadId = uploadIdOfSourceKey(key);
    if (uploadId) await this.markUploaded(uploadId);
  }

  /** A resumable upload may be created/continued by its owner while pending, with exactly the declared length. */
  async authorizeResumable(actorId: string, uploadId: string, uploadLength?: number): Promise<MediaUploadDoc> {
    const doc = await this.deps.repository.findOwned(actorId, uploadId);
    if (!doc || !doc.resumable) throw mediaNotFound();
    if (doc.status === "expired" || (doc.status === "pending" && doc.expiresAt && doc.expiresAt.getTime() < Date.now())) {
      throw new AppError("UPLOAD_EXPIRED", "This upload has expired");
    }
    if (doc.status !== "pending") throw new AppError("CONFLICT", "This upload is already complete");
    if (uploadLength !== undefined && uploadLength !== doc.size) {
      throw new AppError("VALIDATION_FAILED", `Upload-Length must be the declared size, ${doc.size}`);
    }
    return doc;
  }

  /** A tus creation request: authorised as above, and only once (a second creation would restart the bytes). */
  async startResumable(actorId: string, uploadId: string, uploadLength: number | undefined): Promise<void> {
    const doc = await this.authorizeResumable(actorId, uploadId, uploadLength ?? -1);
    const existing = await Promise.all([doc.sourceKey, ...tusSideKeys(doc.sourceKey)].map((key) => this.deps.storage.head(key)));
    if (existing.some(Boolean)) throw new AppError("CONFLICT", "This resumable upload was already created: continue it with HEAD and PATCH");
  }

  /** The largest resumable upload the tus endpoint accepts. */
  get maxResumableBytes(): number {
    return this.deps.config.MEDIA_MAX_VIDEO_BYTES;
  }

  /** pending → uploaded (once), then the processing job (deterministic id: at most one runs). */
  async markUploaded(uploadId: string): Promise<MediaUploadDoc | null> {
    const doc = await this.deps.repository.transition(uploadId, ["pending"], "uploaded", { set: { uploadedAt: new Date() }, unset: ["expiresAt"] });
    if (!doc) return this.deps.repository.findById(uploadId);
    this.push(doc);
    await this.deps.jobs.add("media.process", { uploadId });
    return doc;
  }

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
      if (doc.status === "processing") this.push(doc);
    }
    if (doc.status !== "processing") return { skipped: `upload is ${doc.status}` };
    const work = await mkdtemp(path.join(os.tmpdir(), "cw-media-"));
    try {
      const ready = await this.check(doc, work);
      this.push(ready);
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
    const hash = createHash("sha256");
    let size = 0;
    const declared = doc.size;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > declared) return callback(new MediaRejected(`the file is larger than the declared ${declared} bytes`));
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    await pipeline(object.body, counter, createWriteStream(file));
    if (size === 0) throw new MediaRejected("the file is empty");
    if (size < declared) throw new MediaRejected(`the file is truncated (${size} of ${declared} bytes)`);
    return { size, sha256: hash.digest("hex") };
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
    await this.deleteObjects(current);
    if (failed) {
      this.push(failed);
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

  /** Deletes every object of an upload (and the tus bookkeeping), then forgets them. */
  async deleteObjects(doc: MediaUploadDoc): Promise<void> {
    const keys = new Set([...doc.objects, doc.sourceKey, ...tusSideKeys(doc.sourceKey)]);
    for (const key of keys) await this.deps.storage.delete(key);
    await this.deps.repository.setObjects(doc._id, []);
  }

  /**
   * A ready upload of the actor for `purpose`, for a service about to use it
   * (chat attachments, post media, avatars, videos). Anyone else's upload, or
   * one never uploaded, is not found.
   */
  async resolveForOwner(actorId: string, mediaId: string, purpose: MediaPurpose): Promise<MediaUploadView> {
    const doc = await this.deps.repository.findOwned(actorId, mediaId);
    if (!doc || doc.releasedAt) throw mediaNotFound();
    if (doc.purpose !== purpose) throw new AppError("VALIDATION_FAILED", `This upload is for ${doc.purpose}, not ${purpose}`);
    if (doc.status !== "ready") throw new AppError("MEDIA_NOT_READY", `This upload is ${doc.status}${doc.failureReason ? `: ${doc.failureReason}` : ""}`);
    return toView(doc);
  }

  /**
   * The object key of the bytes of a ready upload of the owner for `purpose`,
   * for a service that reads them itself (videos transcode their source);
   * null for anyone else's upload, another purpose, or one not (or no longer) ready.
   */
  async readyObjectKey(ownerId: string, mediaId: string, purpose: MediaPurpose): Promise<string | null> {
    const doc = await this.deps.repository.findOwned(ownerId, mediaId);
    if (!doc || doc.releasedAt || doc.purpose !== purpose || doc.status !== "ready" || !doc.mainKey) return null;
    return doc.mainKey;
  }

  /**
   * URLs of ready uploads, for a caller that has already decided the viewer
   * may see them: stable public URLs for public media (avatars; with
   * `publicAudience`, also uploads published for a public post), signed links
   * (valid for MEDIA_DOWNLOAD_URL_TTL_SECONDS) otherwise.
   */
  async urlsFor(mediaIds: readonly string[], options: { publicAudience?: boolean } = {}): Promise<Map<string, MediaUrls>> {
    const docs = await this.deps.repository.findByIds([...new Set(mediaIds)]);
    const urls = new Map<string, MediaUrls>();
    for (const doc of docs) {
      if (doc.status !== "ready" || !doc.mainKey || doc.deletedAt) continue;
      urls.set(doc._id, await this.urlsOf(doc, options.publicAudience === true));
    }
    return urls;
  }

  private async urlsOf(doc: MediaUploadDoc & { mainKey?: string }, publicAudience: boolean): Promise<MediaUrls> {
    const { storage, config } = this.deps;
    const mainKey = doc.mainKey!;
    const variant = (name: VariantName) => doc.variants[name]?.key;
    const published = PUBLIC_PURPOSES.has(doc.purpose)
      ? { main: mainKey, thumbnail: variant("thumbnail"), display: variant("display") }
      : publicAudience
        ? doc.published
        : undefined;
    if (published) {
      const result: MediaUrls = { mediaId: doc._id, url: storage.publicUrl(published.main) };
      if (published.thumbnail) result.thumbnailUrl = storage.publicUrl(published.thumbnail);
      if (published.display) result.displayUrl = storage.publicUrl(published.display);
      return result;
    }
    const ttl = config.MEDIA_DOWNLOAD_URL_TTL_SECONDS;
    const disposition = doc.kind === "file" ? contentDisposition("attachment", doc.fileName ?? `file.${EXTENSIONS[doc.mimeType] ?? "bin"}`) : "inline";
    const sign = (key: string, type: string, disp: string) => storage.signedUrl(key, { method: "GET", expiresInSeconds: ttl, contentType: type, disposition: disp });
    const result: MediaUrls = { mediaId: doc._id, url: await sign(mainKey, doc.mimeType, disposition), expiresAt: new Date(Date.now() + ttl * 1000).toISOString() };
    if (variant("thumbnail")) result.thumbnailUrl = await sign(variant("thumbnail")!, "image/webp", "inline");
    if (variant("display")) result.displayUrl = await sign(variant("display")!, "image/webp", "inline");
    return result;
  }

  /**
   * Copies a ready private upload (and its variants) under `public/`, so a
   * public post can show it at stable URLs; the private objects stay for
   * restricted audiences. Idempotent; the copies are claimed before they are
   * written and released with the upload. An upload larger than
   * `MEDIA_PUBLISH_INLINE_MAX_BYTES` is copied by the durable `media.publish`
   * job instead (`queued`); until its copy exists viewers get signed links.
   */
  async publish(mediaId: string): Promise<"published" | "queued" | "skipped"> {
    const doc = await this.deps.repository.findById(mediaId);
    if (!doc || !publishable(doc)) return "skipped";
    if (doc.size > this.deps.config.MEDIA_PUBLISH_INLINE_MAX_BYTES) {
      await this.deps.jobs.add("media.publish", { mediaId });
      return "queued";
    }
    return this.copyToPublic(mediaId);
  }

  /** The `media.publish` job: the copy itself, whatever the size (re-reads the upload, so a retry after success does nothing). */
  async copyToPublic(mediaId: string): Promise<"published" | "skipped"> {
    const { repository, storage } = this.deps;
    const doc = await repository.findById(mediaId);
    if (!doc || !publishable(doc)) return "skipped";
    const base = outputBase("public", doc.ownerId, doc._id);
    const main = `${base}/${doc.kind === "image" ? "image" : "original"}.${EXTENSIONS[doc.mimeType] ?? "bin"}`;
    const copies: Array<[from: string, to: string]> = [[doc.mainKey, main]];
    const published: PublishedKeys = { main };
    for (const name of ["thumbnail", "display"] as const) {
      const from = doc.variants[name]?.key;
      if (!from) continue;
      published[name] = `${base}/${name}.webp`;
      copies.push([from, published[name]]);
    }
    await repository.claimObjects(doc._id, copies.map(([, to]) => to));
    for (const [from, to] of copies) {
      const object = await storage.get(from);
      await storage.put(to, object.body, { contentType: object.contentType, contentLength: object.size, cacheControl: "public, max-age=31536000, immutable" });
    }
    await repository.setPublished(doc._id, published);
    return "published";
  }

  /** Records that `ref` (`message:<id>`, `post:<id>`...) uses the upload. */
  async attach(mediaId: string, ref: string): Promise<void> {
    await this.deps.repository.addRef(mediaId, ref);
  }

  /** `ref` no longer uses the upload; with no use left it is deleted after MEDIA_RELEASE_RETENTION_SECONDS. */
  async detach(mediaId: string, ref: string): Promise<void> {
    await this.deps.repository.removeRef(mediaId, ref, new Date());
  }

  /** Releases all of a user's uploads (account deleted). */
  releaseAllOf(ownerId: string): Promise<number> {
    return this.deps.repository.releaseAllOf(ownerId, new Date());
  }

  private push(doc: MediaUploadDoc): void {
    this.deps.realtime.toUsers([doc.ownerId], "media:status", {
      id: doc._id,
      status: doc.status,
      purpose: doc.purpose,
      ...(doc.failureReason ? { failureReason: doc.failureReason } : {}),
      ...(doc.status === "ready" ? { metadata: doc.metadata } : {}),
    });
  }
}

/** A ready private upload, in use (not released, not deleted), not yet copied under `public/`. */
function publishable(doc: MediaUploadDoc): doc is MediaUploadDoc & { mainKey: string } {
  return doc.status === "ready" && !!doc.mainKey && !doc.releasedAt && !doc.deletedAt && !doc.published && !PUBLIC_PURPOSES.has(doc.purpose);
}

async function sha256File(file: string): Promise<string> {
  const { createReadStream } = await import("node:fs");
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
