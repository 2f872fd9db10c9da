import type { Collection, Db, Filter, UpdateFilter } from "mongodb";
import type { AnyOutboxEntry } from "../events/domain-events.js";
import type { MediaKind, MediaMetadata, MediaPurpose, MediaStatus, MediaVariant, VariantName } from "./media.types.js";

export interface MediaUploadDoc {
  _id: string;
  ownerId: string;
  purpose: MediaPurpose;
  status: MediaStatus;
  kind: MediaKind;
  /** The declared type until processing; then the type sniffed from the bytes (they must agree). */
  mimeType: string;
  /** Declared size until processing; then the stored size. */
  size: number;
  fileName?: string;
  resumable?: boolean;
  /** Where the uploader's bytes land. */
  sourceKey: string;
  /** The object served as the media itself, once ready. */
  mainKey?: string;
  /** Every key this upload owns (claimed before the object is written). */
  objects: string[];
  metadata: MediaMetadata;
  variants: Partial<Record<VariantName, MediaVariant>>;
  /** Public copies (under `public/`) of a private upload that a public post uses: its stable URLs. */
  published?: PublishedKeys;
  /** What uses it (`message:<id>`, `post:<id>`, `avatar:<userId>`); empty again → released. */
  refs: string[];
  failureReason?: string;
  expiresAt?: Date;
  uploadedAt?: Date;
  readyAt?: Date;
  releasedAt?: Date;
  deletedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
  /** Domain events written with a transition, cleared once dispatched. */
  outbox?: AnyOutboxEntry[];
}

/** Keys of an upload's public copies: the media itself and its variants. */
export type PublishedKeys = { main: string } & Partial<Record<VariantName, string>>;

/** The `mediaUploads` collection. */
export class MediaRepository {
  private readonly uploads: Collection<MediaUploadDoc>;

  constructor(db: Db) {
    this.uploads = db.collection<MediaUploadDoc>("mediaUploads");
  }

  async insert(doc: MediaUploadDoc): Promise<void> {
    await this.uploads.insertOne(doc);
  }

  findOwned(ownerId: string, id: string): Promise<MediaUploadDoc | null> {
    return this.uploads.findOne({ ownerId, _id: id, deletedAt: { $exists: false } });
  }

  findById(id: string): Promise<MediaUploadDoc | null> {
    return this.uploads.findOne({ _id: id });
  }

  findByIds(ids: readonly string[]): Promise<MediaUploadDoc[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.uploads.find({ _id: { $in: [...ids] } }).toArray();
  }

  /**
   * Moves an upload from one of `from` to `to` (with `set`/`unset`), or
   * returns null when it was in none of them: each transition happens once.
   * `outbox` entries are written by the same command (the durable event path).
   */
  async transition(
    id: string,
    from: readonly MediaStatus[],
    to: MediaStatus,
    changes: { set?: Partial<MediaUploadDoc>; unset?: Array<keyof MediaUploadDoc>; outbox?: AnyOutboxEntry[] } = {},
  ): Promise<MediaUploadDoc | null> {
    const update: UpdateFilter<MediaUploadDoc> = { $set: { ...changes.set, status: to, updatedAt: new Date() } };
    if (changes.unset?.length) update.$unset = Object.fromEntries(changes.unset.map((field) => [field, ""])) as never;
    if (changes.outbox?.length) update.$push = { outbox: { $each: changes.outbox } } as never;
    return this.uploads.findOneAndUpdate({ _id: id, status: { $in: [...from] } } as Filter<MediaUploadDoc>, update, { returnDocument: "after" });
  }

  /** Claims keys before they are written (the orphan sweep spares them). */
  async claimObjects(id: string, keys: readonly string[]): Promise<void> {
    await this.uploads.updateOne({ _id: id }, { $addToSet: { objects: { $each: [...keys] } }, $set: { updatedAt: new Date() } });
  }

  /** Records the public copies once they are all written. */
  async setPublished(id: string, published: PublishedKeys): Promise<void> {
    await this.uploads.updateOne({ _id: id, deletedAt: { $exists: false } }, { $set: { published, updatedAt: new Date() } });
  }

  async setObjects(id: string, keys: readonly string[]): Promise<void> {
    await this.uploads.updateOne({ _id: id }, { $set: { objects: [...keys], updatedAt: new Date() } });
  }

  expiredPending(now: Date, limit: number): Promise<MediaUploadDoc[]> {
    return this.uploads.find({ status: "pending", expiresAt: { $lt: now } }, { comment: "scatter-gather: media.cleanup expiry sweep, a batch per run, off the request path" }).limit(limit).toArray();
  }

  releasedBefore(cutoff: Date, limit: number): Promise<MediaUploadDoc[]> {
    return this.uploads.find({ releasedAt: { $lt: cutoff } }, { comment: "scatter-gather: media.cleanup purge of released uploads, a batch per run, off the request path" }).limit(limit).toArray();
  }

  /** Records a use; a released upload that is used again is kept. */
  async addRef(id: string, ref: string): Promise<void> {
    await this.uploads.updateOne({ _id: id, deletedAt: { $exists: false } }, { $addToSet: { refs: ref }, $unset: { releasedAt: "" } });
  }

  /** Drops a use; the last one gone releases the upload (deleted after the retention period). */
  async removeRef(id: string, ref: string, now: Date): Promise<void> {
    await this.uploads.updateOne({ _id: id }, { $pull: { refs: ref } });
    await this.uploads.updateOne({ _id: id, refs: { $size: 0 }, releasedAt: { $exists: false }, deletedAt: { $exists: false } }, { $set: { releasedAt: now } });
  }

  /** Releases every upload of an owner (a deleted account). */
  async releaseAllOf(ownerId: string, now: Date): Promise<number> {
    const result = await this.uploads.updateMany(
      { ownerId, releasedAt: { $exists: false }, deletedAt: { $exists: false } },
      { $set: { releasedAt: now } },
      { comment: "scatter-gather: account deletion releases every upload of the owner, once per account" },
    );
    return result.modifiedCount;
  }

  /** Objects gone: the document stays as a tombstone until the TTL index removes it a day later. */
  async markDeleted(id: string, now: Date): Promise<void> {
    await this.uploads.updateOne({ _id: id }, { $set: { deletedAt: now, objects: [], updatedAt: now, expiresAt: now }, $unset: { releasedAt: "", mainKey: "", published: "" } });
  }
}
