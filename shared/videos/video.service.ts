import type { AccessControl } from "../access/access-control.js";
import { AppError } from "../errors/app-error.js";
import type { Logger } from "../logging/logger.js";
import type { Realtime } from "../runtime/socket-events.js";
import { isDuplicateKeyError } from "../social/duplicate-key.js";
import type { PlaybackGrants } from "./playback-grant.js";
import { videoOutboxRef, type OutboxEntry, type VideoEventSink } from "./video-events.port.js";
import type { TranscodeJobs, VideoSources } from "./video-ports.js";
import type { VideoObjectStorage } from "./video-storage.js";
import { contentTypeOf, versionPrefix } from "./video-storage.js";
import { toVideoView } from "./video.mappers.js";
import { videoIdForUpload, type VideoRepository } from "./video.repository.js";
import type { CreateVideoInput, UpdateVideoInput } from "./video.schema.js";
import { SHORT_MAX_SECONDS, SHORT_MIN_SECONDS, type PlaybackView, type VideoDoc, type VideoView } from "./video.types.js";

export interface VideoServiceOptions {
  /** Base URL of the API, for playback links. */
  publicUrl: string;
  /** Lifetime of signed playback URLs (private and unlisted videos). */
  signedUrlTtlSeconds: number;
}

export const videoNotFound = (): AppError => new AppError("NOT_FOUND", "No such video");

/** Drops ffmpeg's `[demuxer @ 0x55…] ` context prefixes from a reason the uploader reads. */
const withoutToolNoise = (reason: string): string => reason.replace(/\[[^\]]* @ 0x[0-9a-f]+\]\s*/g, "");

/** Files a playback grant may reach: the master, a rendition's playlist or segment, the poster, the storyboard. */
const PLAYBACK_FILE = /^(?:(?:[0-9]{3,4}p|audio)\/(?:index\.m3u8|seg_[0-9]{4,6}\.ts)|master\.m3u8|poster\.jpg|storyboard\.jpg)$/;

/**
 * Videos and shorts: creation from an upload, metadata, visibility (privacy
 * and blocks), feeds, search and playback URLs. Transcoding is VideoProcessor's.
 */
export class VideoService {
  constructor(
    private readonly videos: VideoRepository,
    private readonly sources: VideoSources,
    private readonly access: AccessControl,
    private readonly grants: PlaybackGrants,
    private readonly storage: VideoObjectStorage,
    private readonly jobs: TranscodeJobs,
    private readonly events: VideoEventSink,
    private readonly realtime: Pick<Realtime, "toUser">,
    private readonly logger: Logger,
    private readonly options: VideoServiceOptions,
  ) {}

  /**
   * Creates a video from the user's upload (purpose `video`, checked by the
   * media service): `uploaded` and queued when the upload is ready, otherwise
   * `uploading` until the media domain says it is ready (or failed).
   */
  async create(userId: string, input: CreateVideoInput): Promise<VideoView> {
    const source = await this.sources.resolve(userId, input.uploadId);
    if (source.status === "failed") throw new AppError("BAD_REQUEST", `The upload cannot be used: ${source.failureReason ?? "it failed"}`);
    const seconds = source.durationSeconds;
    if (input.type === "short" && seconds !== undefined && (seconds < SHORT_MIN_SECONDS - 0.1 || seconds > SHORT_MAX_SECONDS + 0.1)) {
      throw new AppError("VALIDATION_FAILED", `A short lasts ${SHORT_MIN_SECONDS}-${SHORT_MAX_SECONDS} s; this upload lasts ${seconds.toFixed(1)} s`);
    }
    const now = new Date();
    const ready = source.status === "ready";
    const doc: VideoDoc = {
      _id: videoIdForUpload(input.uploadId),
      userId,
      type: input.type,
      title: input.title,
      description: input.description,
      tags: input.tags,
      ...(input.location ? { location: input.location } : {}),
      privacy: input.privacy,
      status: ready ? "uploaded" : "uploading",
      source: { uploadId: input.uploadId },
      ...(ready ? { uploadedAt: now } : {}),
      renditions: [],
      stats: { viewCount: 0, likeCount: 0, commentCount: 0, shareCount: 0, watchTimeSeconds: 0, completedViewCount: 0 },
      trendingScore: 0,
      needsTrendingUpdate: false,
      isDeleted: false,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.videos.insert(doc);
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new AppError("ALREADY_EXISTS", "A video was already made from this upload");
      throw error;
    }
    let current = doc;
    if (ready) await this.jobs.enqueue(doc._id);
    // The upload may have settled between the check above and the insert, its event finding no video yet.
    else current = (await this.settleFromSource(doc)) ?? doc;
    // The upload is in use while the video exists (media releases it when the video is deleted).
    await this.sources.attach(input.uploadId, doc._id);
    return toVideoView(current, undefined, true);
  }

  /** The media domain reports an upload ready (`media.upload-ready`): uploading → uploaded, and the transcode is queued. Idempotent. */
  async sourceReady(ownerId: string, uploadId: string): Promise<void> {
    const video = await this.videos.findByUpload(ownerId, uploadId);
    if (!video) return;
    await this.markUploaded(video);
  }

  /** The media domain reports an upload unusable (`media.upload-failed`): the video fails with its reason. Idempotent. */
  async sourceFailed(ownerId: string, uploadId: string, reason: string): Promise<void> {
    const video = await this.videos.findByUpload(ownerId, uploadId);
    if (!video) return;
    await this.failFromSource(video, reason);
  }

  /**
   * Safety net for lost upload events: videos `uploading` with no change since
   * `cutoff` ask the media service where their upload stands. One still
   * pending (a long resumable upload) is touched, so the next sweep looks at
   * others first. Returns how many moved.
   */
  async sweepUploading(cutoff: Date): Promise<number> {
    let moved = 0;
    for (const video of await this.videos.findStale("uploading", cutoff, 100)) {
      if (await this.settleFromSource(video)) moved++;
      else await this.videos.touchUploading(video._id, new Date());
    }
    return moved;
  }

  /** Moves an `uploading` video on when its upload has settled; returns it when it moved. */
  private async settleFromSource(video: VideoDoc): Promise<VideoDoc | null> {
    const source = await this.sources.resolve(video.userId, video.source.uploadId).catch((error: unknown) => {
      if (error instanceof AppError && error.code === "MEDIA_NOT_FOUND") return { status: "failed" as const, failureReason: "the upload is gone" };
      throw error;
    });
    if (source.status === "ready") return this.markUploaded(video);
    if (source.status === "failed") return this.failFromSource(video, source.failureReason ?? "it failed");
    return null;
  }

  private async markUploaded(video: VideoDoc): Promise<VideoDoc | null> {
    const moved = await this.videos.markUploaded(video._id, new Date());
    // Enqueue even when another delivery moved it first: the job id makes this a no-op then.
    if (moved || video.status === "uploaded") await this.jobs.enqueue(video._id);
    if (moved) this.realtime.toUser(video.userId, "video:status", { videoId: video._id, status: "uploaded" });
    return moved;
  }

  private async failFromSource(video: VideoDoc, reason: string): Promise<VideoDoc | null> {
    const failureReason = `The upload failed: ${withoutToolNoise(reason)}`;
    const entry = this.events.record("video.processed", { videoId: video._id, userId: video.userId, status: "failed", failureReason });
    // Only an upload still awaited: a video already queued or further along has its source.
    const failed = await this.videos.failUploading(video._id, failureReason, [entry], new Date());
    if (!failed) return null;
    await this.events.published(videoOutboxRef(video), [entry]);
    this.realtime.toUser(video.userId, "video:status", { videoId: video._id, status: "failed", failureReason });
    return failed;
  }

  /** A video as `viewerId` may see it (the owner sees every status; others only ready videos they may watch). */
  async get(viewerId: string | undefined, videoId: string): Promise<VideoView> {
    const video = await this.visible(viewerId, videoId);
    return toVideoView(video, await this.playback(video), video.userId === viewerId);
  }

  /** The caller's own videos, any status, newest first. */
  async listMine(userId: string, before: Date | undefined, limit: number): Promise<{ items: VideoView[]; nextBefore: string | null }> {
    const docs = await this.videos.listByUser(userId, { before, limit, includeHidden: true });
    const items = await Promise.all(docs.map(async (doc) => toVideoView(doc, await this.playback(doc), true)));
    return { items, nextBefore: docs.length === limit ? (docs.at(-1)?.createdAt.toISOString() ?? null) : null };
  }

  /** Another user's public ready videos, unless either blocked the other. */
  async listByUser(viewerId: string | undefined, userId: string, before: Date | undefined, limit: number): Promise<{ items: VideoView[]; nextBefore: string | null }> {
    if (viewerId === userId) return this.listMine(userId, before, limit);
    if (!(await this.access.canSeeContent(viewerId, userId, "public"))) return { items: [], nextBefore: null };
    const docs = await this.videos.listByUser(userId, { before, limit, includeHidden: false });
    return { items: await this.views(docs), nextBefore: docs.length === limit ? (docs.at(-1)?.createdAt.toISOString() ?? null) : null };
  }

  /** Shorts by trending score (read through the shorts feed index), without blocked or hidden owners. */
  async shortsFeed(viewerId: string | undefined, offset: number, limit: number): Promise<VideoView[]> {
    return this.views(await this.filterAudience(viewerId, await this.videos.shortsFeed(offset, limit)));
  }

  async trending(viewerId: string | undefined, offset: number, limit: number): Promise<VideoView[]> {
    return this.views(await this.filterAudience(viewerId, await this.videos.trending(offset, limit)));
  }

  /** Full-text search over title, description and tags: public ready videos the viewer may see. */
  async search(viewerId: string | undefined, text: string, limit: number): Promise<VideoView[]> {
    return this.views(await this.filterAudience(viewerId, await this.videos.search(text, limit)));
  }

  async update(userId: string, videoId: string, input: UpdateVideoInput): Promise<VideoView> {
    const current = await this.videos.findById(videoId);
    if (!current || current.isDeleted || current.userId !== userId) throw videoNotFound();
    const { location, ...rest } = input;
    const fields: Partial<VideoDoc> = { ...rest, ...(location ? { location } : {}) };
    const outbox: OutboxEntry[] = [];
    // Made public after it was ready: followers hear of it now, once.
    if (input.privacy === "public" && current.status === "ready" && !current.publishedAt) {
      fields.publishedAt = new Date();
      outbox.push(this.events.record("video.published", { videoId, userId, type: current.type, privacy: "public", title: input.title ?? current.title }));
    }
    const updated = await this.videos.updateMetadata(videoId, userId, fields, outbox, new Date(), location === null);
    if (!updated) throw videoNotFound();
    await this.events.published(videoOutboxRef({ _id: videoId, userId }), outbox);
    return toVideoView(updated, await this.playback(updated), true);
  }

  /** Soft delete: the video disappears from every list and its playback URLs stop working at once. */
  async remove(userId: string, videoId: string): Promise<void> {
    const deleted = await this.videos.softDelete(videoId, userId, new Date());
    if (!deleted) throw videoNotFound();
    await this.sources.detach(deleted.source.uploadId, videoId);
  }

  /**
   * One file of a video's published version, for the playback route. The grant
   * is the version (public videos) or a signed, expiring token (others).
   */
  async playbackFile(videoId: string, grant: string, file: string, range?: { start: number; end?: number }) {
    if (!PLAYBACK_FILE.test(file)) throw videoNotFound();
    const parsed = this.grants.read(videoId, grant);
    if (!parsed) throw new AppError("FORBIDDEN", "This playback link is invalid or has expired");
    const video = await this.videos.findById(videoId);
    if (!video || video.isDeleted || video.status !== "ready" || video.version !== parsed.version) throw videoNotFound();
    if (!parsed.signed && !(await this.isPubliclyPlayable(video))) throw new AppError("FORBIDDEN", "This video needs a signed playback link");
    const object = await this.storage.get(`${versionPrefix(videoId, parsed.version)}${file}`, range ? { range } : {}).catch((error: Error) => {
      throw error.name === "StorageNotFoundError" ? videoNotFound() : error;
    });
    return { ...object, contentType: contentTypeOf(file), cacheControl: parsed.signed ? "private, max-age=300" : file.endsWith(".ts") || file.endsWith(".jpg") ? "public, max-age=31536000, immutable" : "public, max-age=60" };
  }

  /** Loads a video the viewer may see, or throws NOT_FOUND (never FORBIDDEN: existence is not revealed). */
  async visible(viewerId: string | undefined, videoId: string): Promise<VideoDoc> {
    const video = await this.videos.findById(videoId);
    if (!video || video.isDeleted) throw videoNotFound();
    if (video.userId === viewerId) return video;
    if (video.status !== "ready" || !(await this.access.canSeeContent(viewerId, video.userId, video.privacy))) throw videoNotFound();
    return video;
  }

  private async isPubliclyPlayable(video: VideoDoc): Promise<boolean> {
    return video.privacy === "public" && (await this.access.canSeeContent(undefined, video.userId, "public"));
  }

  private async playback(video: VideoDoc): Promise<PlaybackView | undefined> {
    if (video.status !== "ready" || !video.version) return undefined;
    const signed = !(await this.isPubliclyPlayable(video));
    const expiresAt = Math.floor(Date.now() / 1000) + this.options.signedUrlTtlSeconds;
    const grant = signed ? this.grants.signed(video._id, video.version, expiresAt) : video.version;
    const base = `${this.options.publicUrl}/api/videos/${video._id}/hls/${grant}`;
    return {
      masterUrl: `${base}/master.m3u8`,
      posterUrl: `${base}/poster.jpg`,
      ...(video.storyboard ? { storyboardUrl: `${base}/storyboard.jpg` } : {}),
      ...(signed ? { expiresAt: new Date(expiresAt * 1000).toISOString() } : {}),
    };
  }

  private async views(docs: VideoDoc[]): Promise<VideoView[]> {
    return Promise.all(docs.map(async (doc) => toVideoView(doc, await this.playback(doc))));
  }

  /** Drops videos whose owner the viewer blocked (or is blocked by) or may not see. */
  private async filterAudience(viewerId: string | undefined, docs: VideoDoc[]): Promise<VideoDoc[]> {
    const owners = [...new Set(docs.map((doc) => doc.userId))];
    const allowed = new Map(await Promise.all(owners.map(async (owner) => [owner, await this.access.canSeeContent(viewerId, owner, "public")] as const)));
    return docs.filter((doc) => allowed.get(doc.userId));
  }
}
