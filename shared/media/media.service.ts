import { randomUUID } from "node:crypto";
import type { Config } from "../config/config.js";
import type { DomainEventBus } from "../events/event-bus.js";
import { AppError } from "../errors/app-error.js";
import type { Logger } from "../logging/logger.js";
import type { JobQueue } from "../queues/job-queue.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { ObjectStorage } from "../storage/object-storage.js";
import { MediaInspector } from "./media-inspector.js";
import { MediaProcessor } from "./media-processor.js";
import { outputBase, singleUploadKey, tusSideKeys, tusUploadKey, uploadIdOfSourceKey } from "./media-keys.js";
import { canonicalType, EXTENSIONS, kindOf, maxBytes, PUBLIC_PURPOSES, PURPOSE_KINDS } from "./media-policy.js";
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
 * Uploads: signed or resumable targets, completion, processing (a worker job,
 * done by MediaProcessor), status pushes, URLs for the services that show
 * media, and release when nothing uses an upload any more.
 */
export class MediaService {
  private readonly processor: MediaProcessor;

  constructor(private readonly deps: MediaServiceDeps) {
    const inspector = new MediaInspector({ ffprobePath: deps.config.FFPROBE_PATH, ffmpegPath: deps.config.FFMPEG_PATH, maxImagePixels: deps.config.MEDIA_MAX_IMAGE_PIXELS });
    this.processor = new MediaProcessor(deps, inspector, { push: (doc) => this.push(doc), deleteObjects: (doc) => this.deleteObjects(doc) });
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

  /** The `media.process` job (see MediaProcessor). */
  process(uploadId: string): Promise<{ status: MediaStatus } | { skipped: string }> {
    return this.processor.process(uploadId);
  }

  /** The processing job gave up (every attempt failed or timed out): the upload fails instead of staying `processing`. */
  giveUp(uploadId: string, error: Error): Promise<void> {
    return this.processor.giveUp(uploadId, error);
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
