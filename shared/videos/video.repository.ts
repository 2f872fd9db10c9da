import { createHash } from "node:crypto";
import type { Collection, Db, Filter, UpdateFilter } from "mongodb";
import type { OutboxEntry } from "./video-events.port.js";
import type { VideoDoc, VideoStats } from "./video.types.js";

/** Ready, visible to everyone, not deleted: what feeds, trending and search may show. */
const LISTED = { status: "ready", privacy: "public", isDeleted: false } as const;

/** Only code that touches `videos`. Each status transition is one conditional write. */
/**
 * A video's id, derived from its source upload's (a server-made, unguessable
 * UUID): one video per upload without a unique index (the hashed `_id` shard
 * key allows none), and the lookup by upload is a read by `_id`.
 */
export function videoIdForUpload(uploadId: string): string {
  const h = createHash("sha256").update(`video:${uploadId}`).digest("hex");
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class VideoRepository {
  private readonly videos: Collection<VideoDoc>;

  constructor(db: Db) {
    this.videos = db.collection<VideoDoc>("videos");
  }

  async insert(doc: VideoDoc): Promise<void> {
    await this.videos.insertOne(doc);
  }

  async findById(id: string): Promise<VideoDoc | null> {
    return this.videos.findOne({ _id: id });
  }

  /** The video made from an upload of `userId` (uploads belong to their owner; the owner is the shard key). */
  async findByUpload(userId: string, uploadId: string): Promise<VideoDoc | null> {
    return this.videos.findOne({ _id: videoIdForUpload(uploadId), userId });
  }

  /** A user's videos, newest first (index userId_createdAt). */
  async listByUser(userId: string, options: { before?: Date; limit: number; includeHidden: boolean }): Promise<VideoDoc[]> {
    const filter: Filter<VideoDoc> = { userId, isDeleted: false };
    if (!options.includeHidden) Object.assign(filter, { status: "ready", privacy: "public" });
    if (options.before) filter.createdAt = { $lt: options.before };
    return this.videos.find(filter, { comment: "scatter-gather: a user's videos, a limit over the owner index on every shard" }).sort({ createdAt: -1, _id: -1 }).limit(options.limit).toArray();
  }

  /** The shorts feed: by trending score, then newest (index type_trendingScore_createdAt). */
  async shortsFeed(skip: number, limit: number): Promise<VideoDoc[]> {
    return this.videos.find({ type: "short", ...LISTED }, { comment: "scatter-gather: the shorts feed across owners, a limit per shard" }).sort({ trendingScore: -1, createdAt: -1 }).skip(skip).limit(limit).toArray();
  }

  /** Trending over all videos (index trendingScore_viewCount). */
  async trending(skip: number, limit: number): Promise<VideoDoc[]> {
    return this.videos.find({ trendingScore: { $gte: 0 }, ...LISTED }, { comment: "scatter-gather: trending across owners, a limit per shard" }).sort({ trendingScore: -1, "stats.viewCount": -1 }).skip(skip).limit(limit).toArray();
  }

  /** Full-text search over title, description and tags (index video_text). */
  async search(text: string, limit: number): Promise<VideoDoc[]> {
    return this.videos
      .find({ $text: { $search: text }, ...LISTED }, { projection: { score: { $meta: "textScore" } }, comment: "scatter-gather: full-text search across owners, a limit per shard" })
      .sort({ score: { $meta: "textScore" } })
      .limit(limit)
      .toArray();
  }

  /** uploading → uploaded once the source is complete; returns the video when it moved. */
  async markUploaded(id: string, now: Date): Promise<VideoDoc | null> {
    return this.videos.findOneAndUpdate({ _id: id, status: "uploading", isDeleted: false }, { $set: { status: "uploaded", uploadedAt: now, updatedAt: now } }, { returnDocument: "after" });
  }

  /**
   * Claims the video for one transcode attempt: uploaded or processing (a
   * stalled attempt's job picked up again) → processing with a new attempt id.
   * A ready or failed video is never claimed again.
   */
  async claim(id: string, attemptId: string, now: Date): Promise<VideoDoc | null> {
    return this.videos.findOneAndUpdate(
      { _id: id, status: { $in: ["uploaded", "processing"] }, isDeleted: false },
      { $set: { status: "processing", processing: { attemptId, stage: "probing", percent: 0, startedAt: now, heartbeatAt: now }, updatedAt: now }, $unset: { failureReason: "" } },
      { returnDocument: "after" },
    );
  }

  /** Records progress; false when the attempt no longer holds the video. */
  async heartbeat(id: string, attemptId: string, stage: string, percent: number, now: Date): Promise<boolean> {
    const result = await this.videos.updateOne(
      { _id: id, status: "processing", "processing.attemptId": attemptId },
      { $set: { "processing.stage": stage, "processing.percent": percent, "processing.heartbeatAt": now, updatedAt: now } },
    );
    return result.matchedCount === 1;
  }

  /** processing → ready, in one write, only by the attempt that holds the video. */
  async publish(id: string, attemptId: string, fields: Partial<VideoDoc>, outbox: OutboxEntry[], now: Date): Promise<VideoDoc | null> {
    const update: UpdateFilter<VideoDoc> = { $set: { ...fields, status: "ready", updatedAt: now }, $unset: { processing: "", failureReason: "" } };
    if (outbox.length > 0) update.$push = { outbox: { $each: outbox } } as UpdateFilter<VideoDoc>["$push"];
    return this.videos.findOneAndUpdate({ _id: id, status: "processing", "processing.attemptId": attemptId, isDeleted: false }, update, { returnDocument: "after" });
  }

  /**
   * → failed with a reason. With `attemptId`, only while that attempt holds the
   * video; without, from any state but ready (a ready video is never failed by
   * a late job).
   */
  async fail(id: string, reason: string, attemptId: string | null, outbox: OutboxEntry[], now: Date): Promise<VideoDoc | null> {
    const filter: Filter<VideoDoc> = attemptId ? { _id: id, status: "processing", "processing.attemptId": attemptId } : { _id: id, status: { $in: ["uploading", "uploaded", "processing"] } };
    const update: UpdateFilter<VideoDoc> = { $set: { status: "failed", failureReason: reason.slice(0, 500), updatedAt: now }, $unset: { processing: "" } };
    if (outbox.length > 0) update.$push = { outbox: { $each: outbox } } as UpdateFilter<VideoDoc>["$push"];
    return this.videos.findOneAndUpdate(filter, update, { returnDocument: "after" });
  }

  /** uploading → failed (the upload was refused or expired); null when the video was no longer waiting for it. */
  async failUploading(id: string, reason: string, outbox: OutboxEntry[], now: Date): Promise<VideoDoc | null> {
    const update: UpdateFilter<VideoDoc> = { $set: { status: "failed", failureReason: reason.slice(0, 500), updatedAt: now } };
    if (outbox.length > 0) update.$push = { outbox: { $each: outbox } } as UpdateFilter<VideoDoc>["$push"];
    return this.videos.findOneAndUpdate({ _id: id, status: "uploading", isDeleted: false }, update, { returnDocument: "after" });
  }

  /** Records that the uploading sweep looked at the video (it moves behind the others). */
  async touchUploading(id: string, now: Date): Promise<void> {
    await this.videos.updateOne({ _id: id, status: "uploading" }, { $set: { updatedAt: now } });
  }

  /** Videos left in `status` (processing, uploading) with no change since `cutoff` (index status_updatedAt). */
  async findStale(status: "processing" | "uploading", cutoff: Date, limit: number): Promise<VideoDoc[]> {
    return this.videos.find({ status, updatedAt: { $lt: cutoff }, isDeleted: false }, { comment: "scatter-gather: video status sweep, a batch per run, maintenance" }).limit(limit).toArray();
  }

  async clearOutbox(id: string, entryIds: string[]): Promise<void> {
    await this.videos.updateOne({ _id: id }, { $pull: { outbox: { id: { $in: entryIds } } } });
  }

  async updateMetadata(id: string, userId: string, fields: Partial<VideoDoc>, outbox: OutboxEntry[], now: Date, unsetLocation = false): Promise<VideoDoc | null> {
    const update: UpdateFilter<VideoDoc> = { $set: { ...fields, updatedAt: now } };
    if (unsetLocation) update.$unset = { location: "" };
    if (outbox.length > 0) update.$push = { outbox: { $each: outbox } } as UpdateFilter<VideoDoc>["$push"];
    return this.videos.findOneAndUpdate({ _id: id, userId, isDeleted: false }, update, { returnDocument: "after" });
  }

  async softDelete(id: string, userId: string, now: Date): Promise<VideoDoc | null> {
    return this.videos.findOneAndUpdate({ _id: id, userId, isDeleted: false }, { $set: { isDeleted: true, deletedAt: now, updatedAt: now } }, { returnDocument: "after" });
  }

  /** Moves counters; also flags the video for the next incremental trending recompute. */
  async incrementStats(id: string, deltas: Partial<Record<keyof VideoStats, number>>): Promise<void> {
    const inc = Object.fromEntries(Object.entries(deltas).filter(([, value]) => value !== 0).map(([key, value]) => [`stats.${key}`, value]));
    if (Object.keys(inc).length === 0) return;
    await this.videos.updateOne({ _id: id }, { $inc: inc, $set: { needsTrendingUpdate: true } });
  }

  /** Sets a counter to an exact value (repair from the source documents). */
  async setStat(id: string, stat: keyof VideoStats, value: number): Promise<void> {
    await this.videos.updateOne({ _id: id }, { $set: { [`stats.${stat}`]: value, needsTrendingUpdate: true } });
  }

  /** Shorts whose stats changed since the last recompute (index needsTrendingUpdate). */
  async findNeedingTrendingUpdate(limit: number): Promise<VideoDoc[]> {
    return this.videos.find({ needsTrendingUpdate: true, type: "short" }, { comment: "scatter-gather: trending recompute batch, in a job" }).limit(limit).toArray();
  }

  /** Flags every short for the next recompute (the weekly full pass, seed maintenance). */
  async flagAllShorts(): Promise<number> {
    const result = await this.videos.updateMany({ type: "short", trendingScore: { $gte: 0 } }, { $set: { needsTrendingUpdate: true } }, { comment: "scatter-gather: weekly full trending pass, maintenance" });
    return result.modifiedCount;
  }

  /** Writes recomputed scores, each by its owner (the shard key) and id. */
  async setTrendingScores(scores: Array<{ id: string; userId: string; score: number }>): Promise<void> {
    if (scores.length === 0) return;
    await this.videos.bulkWrite(scores.map(({ id, userId, score }) => ({ updateOne: { filter: { _id: id, userId }, update: { $set: { trendingScore: score, needsTrendingUpdate: false } } } })));
  }

  /** The largest view velocity among listed shorts, to normalise against (served by the shorts feed index). */
  async shortsForNormalisation(limit: number): Promise<VideoDoc[]> {
    return this.videos
      .find({ type: "short", ...LISTED }, { comment: "scatter-gather: trending normalisation head (a limit per shard), in the recompute job" })
      .sort({ trendingScore: -1, createdAt: -1 })
      .limit(limit)
      .toArray();
  }
}
