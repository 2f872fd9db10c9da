import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { access, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Logger } from "../logging/logger.js";
import type { Realtime } from "../runtime/socket-events.js";
import { TranscodeError, type ProbeLimits } from "./transcoder.js";
import { encodeVideo, type EncodeResult } from "./video-encoder.js";
import { videoOutboxRef, type VideoEventSink } from "./video-events.port.js";
import type { TranscodeJobs, VideoSources } from "./video-ports.js";
import { contentTypeOf, versionPrefix, type VideoObjectStorage } from "./video-storage.js";
import type { VideoRepository } from "./video.repository.js";
import { SHORT_MAX_SECONDS, SHORT_MIN_SECONDS, type VideoDoc, type VideoProgressEvent } from "./video.types.js";

export interface VideoProcessorOptions {
  workDir: string;
  preset: string;
  threads: number;
  maxDimension: number;
  maxLongSeconds: number;
  /** A transcode running longer than this fails with a reason. */
  timeoutMs: number;
  /** A video processing without progress for this long, with no live job, is failed by the sweep. */
  staleMs: number;
  /** How often the uploader is told the progress while a job runs. */
  progressIntervalMs: number;
}

export interface TranscodeContext {
  /** Fired when the worker gives the job up (hard shutdown, the job's own ceiling). */
  signal?: AbortSignal;
}

export type TranscodeOutcome = { status: "ready"; version: string } | { skipped: string };

/** A failure the job must not retry (the same input fails the same way). */
export class PermanentTranscodeFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PermanentTranscodeFailure";
  }
}

const UPLOAD_CONCURRENCY = 4;
/** Containers round durations; a 60.02 s phone recording is still a 60 s short. */
const SHORT_TOLERANCE = 0.1;

/**
 * The `transcode` job: claims the video, runs the one-pass ladder in a local
 * work directory, validates every rung, uploads the outputs under a fresh
 * version prefix and flips the video to `ready` in one conditional write. The
 * version prefix is the staging area: until that write nothing points at it, a
 * failed attempt deletes it, and a published version is never written again.
 */
export class VideoProcessor {
  constructor(
    private readonly videos: VideoRepository,
    private readonly storage: VideoObjectStorage,
    private readonly sources: VideoSources,
    private readonly jobs: TranscodeJobs,
    private readonly events: VideoEventSink,
    private readonly realtime: Pick<Realtime, "toUser">,
    private readonly logger: Logger,
    private readonly options: VideoProcessorOptions,
  ) {}

  async transcode(videoId: string, context: TranscodeContext): Promise<TranscodeOutcome> {
    const current = await this.videos.findById(videoId);
    if (!current || current.isDeleted) return { skipped: "video gone" };
    if (current.status === "ready" || current.status === "failed") return { skipped: `already ${current.status}` };
    if (current.status === "uploading") return { skipped: "source not uploaded yet" };
    const attemptId = randomBytes(12).toString("base64url");
    const claimed = await this.videos.claim(videoId, attemptId, new Date());
    if (!claimed) return { skipped: "not claimable" };
    // A previous attempt that died (worker killed) may have left part of a version behind.
    if (current.processing?.attemptId) await this.storage.deletePrefix(versionPrefix(videoId, current.processing.attemptId)).catch(() => undefined);
    this.realtime.toUser(claimed.userId, "video:status", { videoId, status: "processing" });

    const progress = new ProgressReporter(claimed, attemptId, this.videos, this.realtime, this.options.progressIntervalMs);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.options.timeoutMs);
    const signal = context.signal ? AbortSignal.any([context.signal, timeout.signal]) : timeout.signal;
    const workDir = path.join(this.options.workDir, `${videoId}-${attemptId}`);
    try {
      await mkdir(workDir, { recursive: true });
      const input = await this.sourceInput(claimed, workDir);
      const result = await encodeVideo({
        input,
        outputDir: path.join(workDir, "out"),
        limits: this.limitsFor(claimed),
        encode: { preset: this.options.preset, threads: this.options.threads },
        signal,
        onProgress: (update) => progress.set(update.stage, update.percent),
      });
      progress.set("publishing", 95);
      await this.upload(videoId, attemptId, path.join(workDir, "out"), result, (done) => progress.set("publishing", 95 + 4 * done));
      return await this.publish(claimed, attemptId, result);
    } catch (error) {
      await this.storage.deletePrefix(versionPrefix(videoId, attemptId)).catch(() => undefined);
      // Awaited here, not returned: `finally` awaits too, and a returned rejection would sit unhandled meanwhile.
      if (timeout.signal.aborted) return await this.failNow(claimed, attemptId, `Processing took longer than ${formatDuration(this.options.timeoutMs)} and was stopped`);
      const permanent = error instanceof TranscodeError && !error.retryable;
      if (permanent) return await this.failNow(claimed, attemptId, error.message);
      // Retried; the last attempt's failure reaches the job's final-failure hook, which fails the video.
      throw error;
    } finally {
      clearTimeout(timer);
      progress.stop();
      await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Final failure recorded by the job machinery (attempts exhausted, stalled too often): the video fails unless it is ready. */
  async fail(videoId: string, attemptId: string | null, reason: string): Promise<boolean> {
    const video = await this.videos.findById(videoId);
    if (!video) return false;
    const entry = this.events.record("video.processed", { videoId, userId: video.userId, status: "failed", failureReason: reason });
    const failed = await this.videos.fail(videoId, reason, attemptId, [entry], new Date());
    if (!failed) return false;
    await this.events.published(videoOutboxRef(video), [entry]);
    this.realtime.toUser(failed.userId, "video:status", { videoId, status: "failed", failureReason: failed.failureReason });
    return true;
  }

  /**
   * No video stays processing forever: a video without progress for
   * `staleMs` whose job is gone or finished is failed with a reason.
   */
  async sweepStale(now = new Date()): Promise<number> {
    let failed = 0;
    for (const video of await this.videos.findStale("processing", new Date(now.getTime() - this.options.staleMs), 100)) {
      const state = await this.jobs.state(video._id);
      if (state === "active" || state === "waiting" || state === "delayed" || state === "prioritized" || state === "waiting-children") continue;
      if (await this.fail(video._id, null, "Processing stopped unexpectedly; please upload the video again")) failed++;
    }
    return failed;
  }

  private async failNow(video: VideoDoc, attemptId: string, reason: string): Promise<never> {
    await this.fail(video._id, attemptId, reason);
    throw new PermanentTranscodeFailure(reason);
  }

  private limitsFor(video: VideoDoc): ProbeLimits {
    return video.type === "short"
      ? { maxDimension: this.options.maxDimension, minDurationSeconds: SHORT_MIN_SECONDS, maxDurationSeconds: SHORT_MAX_SECONDS, durationToleranceSeconds: SHORT_TOLERANCE }
      : { maxDimension: this.options.maxDimension, minDurationSeconds: 1, maxDurationSeconds: this.options.maxLongSeconds };
  }

  /**
   * Where ffmpeg reads the source: the media upload's bytes, found through the
   * media service and read through the storage port. The local adapter's file
   * is read in place (no copy: the encode starts at once, as a direct ffmpeg
   * run would); other adapters' objects are downloaded to the work directory
   * first, so a long encode never depends on one long-lived HTTP read.
   */
  private async sourceInput(video: VideoDoc, workDir: string): Promise<string> {
    const key = await this.sources.objectKey(video.userId, video.source.uploadId);
    if (!key) throw new TranscodeError("The uploaded file is gone");
    const gone = (error: { code?: string; name?: string; message: string }) =>
      error.code === "ENOENT" || error.name === "StorageNotFoundError"
        ? new TranscodeError("The uploaded file is gone")
        : new TranscodeError(`The uploaded file cannot be read (${error.code ?? error.message})`, true);
    const inPlace = this.storage.filePath?.(key);
    if (inPlace) {
      await access(inPlace).catch((error: NodeJS.ErrnoException) => {
        throw gone(error);
      });
      return inPlace;
    }
    const file = path.join(workDir, "source");
    const object = await this.storage.get(key).catch((error: Error) => {
      throw gone(error);
    });
    await pipeline(object.body, createWriteStream(file));
    return file;
  }

  private async upload(videoId: string, version: string, dir: string, result: EncodeResult, onProgress: (fraction: number) => void): Promise<void> {
    const prefix = versionPrefix(videoId, version);
    // The master last: a reader that finds it finds everything it names.
    const files = [...result.report.files.filter((file) => file !== "master.m3u8"), "master.m3u8"];
    let next = 0;
    let done = 0;
    const lane = async (): Promise<void> => {
      while (next < files.length - 1) {
        const file = files[next++]!;
        await this.storage.putFile(`${prefix}${file}`, path.join(dir, file), { contentType: contentTypeOf(file), cacheControl: "public, max-age=31536000, immutable" });
        onProgress(++done / files.length);
      }
    };
    await Promise.all(Array.from({ length: UPLOAD_CONCURRENCY }, lane));
    await this.storage.putFile(`${prefix}master.m3u8`, path.join(dir, "master.m3u8"), { contentType: contentTypeOf("master.m3u8") });
  }

  private async publish(video: VideoDoc, attemptId: string, result: EncodeResult): Promise<TranscodeOutcome> {
    const { report, source, plan } = result;
    const now = new Date();
    const announce = video.privacy === "public";
    const outbox = [
      this.events.record("video.processed", { videoId: video._id, userId: video.userId, status: "ready" }),
      ...(announce ? [this.events.record("video.published", { videoId: video._id, userId: video.userId, type: video.type, privacy: video.privacy, title: video.title })] : []),
    ];
    const prefix = versionPrefix(video._id, attemptId);
    const published = await this.videos.publish(
      video._id,
      attemptId,
      {
        version: attemptId,
        renditions: report.renditions.map((r) => ({ name: r.name, width: r.width, height: r.height, bandwidth: r.peakBitrate, averageBandwidth: r.averageBitrate, codecs: r.codecs, segments: r.segments })),
        posterKey: `${prefix}${report.poster}`,
        ...(report.storyboard ? { storyboard: { key: `${prefix}${report.storyboard}`, ...pick(plan.storyboard) } } : {}),
        duration: Math.round(source.duration * 1000) / 1000,
        dimensions: { width: source.width, height: source.height },
        needsTrendingUpdate: video.type === "short",
        ...(announce ? { publishedAt: now } : {}),
      },
      outbox,
      now,
    );
    if (!published) {
      // Deleted or taken over by another attempt meanwhile: this version is nobody's.
      await this.storage.deletePrefix(prefix).catch(() => undefined);
      return { skipped: "superseded" };
    }
    await this.events.published(videoOutboxRef(video), outbox);
    this.realtime.toUser(video.userId, "video:progress", { videoId: video._id, percent: 100, stage: "publishing" });
    this.realtime.toUser(video.userId, "video:status", { videoId: video._id, status: "ready" });
    this.logger.info({ videoId: video._id, version: attemptId, rungs: report.renditions.map((r) => r.name) }, "video ready");
    return { status: "ready", version: attemptId };
  }
}

function formatDuration(ms: number): string {
  return ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

function pick(storyboard: EncodeResult["plan"]["storyboard"]) {
  const { interval, columns, rows, tileWidth, tileHeight, count } = storyboard;
  return { interval, columns, rows, tileWidth, tileHeight, count };
}

/**
 * Tells the uploader's devices where the job is, at least once a second
 * (repeating the last figure while a stage reports nothing), and records it on
 * the video every few seconds as a heartbeat for the stale sweep.
 */
class ProgressReporter {
  private stage: VideoProgressEvent["stage"] = "probing";
  private percent = 0;
  private lastWrite = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly video: VideoDoc,
    private readonly attemptId: string,
    private readonly videos: VideoRepository,
    private readonly realtime: Pick<Realtime, "toUser">,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
    this.tick();
  }

  set(stage: VideoProgressEvent["stage"], percent: number): void {
    this.stage = stage;
    this.percent = Math.max(this.percent, Math.min(99, Math.floor(percent)));
  }

  private tick(): void {
    this.realtime.toUser(this.video.userId, "video:progress", { videoId: this.video._id, percent: this.percent, stage: this.stage });
    const now = Date.now();
    if (now - this.lastWrite >= 5_000) {
      this.lastWrite = now;
      void this.videos.heartbeat(this.video._id, this.attemptId, this.stage, this.percent, new Date()).catch(() => undefined);
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
