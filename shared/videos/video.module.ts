import { tmpdir } from "node:os";
import { UnrecoverableError } from "bullmq";
import path from "node:path";
import type { AccessControl } from "../access/access-control.js";
import type { Config } from "../config/config.js";
import type { Logger } from "../logging/logger.js";
import type { DomainEventBus } from "../events/event-bus.js";
import type { OutboxCollection } from "../events/outbox-sweeper.js";
import type { JobQueue } from "../queues/job-queue.js";
import type { FinalFailureHooks, JobHandlers, ScheduledJob } from "../queues/jobs.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { Db } from "mongodb";
import type { Redis } from "ioredis";
import { PlaybackGrants } from "./playback-grant.js";
import { MediaVideoSources, type VideoMedia } from "./media-video-sources.js";
import { configureTranscoder } from "./transcoder.js";
import { TrendingService } from "./trending.service.js";
import { VideoEngagementRepository } from "./video-engagement.repository.js";
import { VideoEngagementService } from "./video-engagement.service.js";
import { transcodeJobId, type TranscodeJobs } from "./video-ports.js";
import { PermanentTranscodeFailure, VideoProcessor } from "./video-processor.js";
import type { VideoObjectStorage } from "./video-storage.js";
import { VideoRepository } from "./video.repository.js";
import { VideoService } from "./video.service.js";
import { ViewCounterRepository } from "./view-counter.repository.js";

export interface VideoModuleDeps {
  config: Config;
  db: Db;
  redis: Redis;
  jobs: JobQueue;
  realtime: Pick<Realtime, "toUser">;
  events: DomainEventBus;
  access: AccessControl;
  logger: Logger;
  /** The object storage port (the one media uses): sources are read and versions written through it. */
  storage: VideoObjectStorage;
  /** The media service: uploads are checked (owner, purpose, status) and located through it. */
  media: VideoMedia;
  /** Clock of the view counter (tests). */
  clock?: () => number;
}

export interface VideoServices {
  videos: VideoService;
  processor: VideoProcessor;
  engagement: VideoEngagementService;
  trending: TrendingService;
  storage: VideoObjectStorage;
}

/** Videos carry `video.processed` / `video.published` (shard key: owner); likes, shares and comments their own events (shard key: video). */
const VIDEO_OUTBOX: OutboxCollection[] = [
  { name: "videos", shardKey: ["userId"] },
  { name: "video_likes", shardKey: ["videoId"] },
  { name: "video_shares", shardKey: ["videoId"] },
  { name: "video_comments", shardKey: ["videoId"] },
];

const REFRESH_EVERY_MS = 5 * 60_000;

/** Builds the videos domain: catalogue, transcoding, engagement and trending. */
export function createVideoModule(deps: VideoModuleDeps) {
  const { config } = deps;
  const logger = deps.logger.child({ domain: "videos" });
  configureTranscoder({ ffmpegPath: config.FFMPEG_PATH, ffprobePath: config.FFPROBE_PATH });
  const repository = new VideoRepository(deps.db);
  const { events, storage } = deps;
  const sources = new MediaVideoSources(deps.media);
  const transcodeJobs: TranscodeJobs = {
    async enqueue(videoId) {
      await deps.jobs.add("videos.transcode", { videoId });
    },
    async state(videoId) {
      const state = await deps.jobs.queue("transcode").getJobState(transcodeJobId(videoId));
      return state === "unknown" ? null : state;
    },
  };
  const videos = new VideoService(
    repository,
    sources,
    deps.access,
    new PlaybackGrants(config.JWT_SECRET),
    storage,
    transcodeJobs,
    events,
    deps.realtime,
    logger,
    { publicUrl: config.PUBLIC_URL.replace(/\/$/, ""), signedUrlTtlSeconds: config.VIDEO_URL_TTL_SECONDS },
  );
  const processor = new VideoProcessor(repository, storage, sources, transcodeJobs, events, deps.realtime, logger, {
    workDir: config.VIDEO_WORK_DIR ?? path.join(tmpdir(), "chatwave-transcode"),
    preset: config.VIDEO_TRANSCODE_PRESET,
    threads: config.VIDEO_TRANSCODE_THREADS,
    maxDimension: config.VIDEO_MAX_DIMENSION,
    maxLongSeconds: config.VIDEO_MAX_DURATION_SECONDS,
    timeoutMs: config.VIDEO_TRANSCODE_TIMEOUT_MS,
    staleMs: config.VIDEO_STALE_MS,
    progressIntervalMs: config.VIDEO_PROGRESS_INTERVAL_MS,
  });
  const engagementRepository = new VideoEngagementRepository(deps.db);
  const engagement = new VideoEngagementService(repository, engagementRepository, new ViewCounterRepository(deps.redis), videos, events, deps.clock);
  const trending = new TrendingService(repository);
  const services: VideoServices = { videos, processor, engagement, trending, storage };
  const jobHandlers: Pick<JobHandlers, "videos.transcode" | "videos.refresh"> = {
    "videos.transcode": async ({ videoId }, context) => {
      try {
        return await processor.transcode(videoId, { signal: context.signal });
      } catch (error) {
        // The video already failed with its reason; another attempt would fail the same way.
        if (error instanceof PermanentTranscodeFailure) throw new UnrecoverableError(error.message);
        throw error;
      }
    },
    "videos.refresh": async () => ({
      ...(await trending.recomputeChanged()),
      staleFailed: await processor.sweepStale(),
      uploadsSettled: await videos.sweepUploading(new Date(Date.now() - config.VIDEO_STALE_MS)),
    }),
  };
  const finalFailureHooks: Pick<FinalFailureHooks, "videos.transcode"> = {
    // Attempts exhausted or timed out: the video fails with the reason, unless it is ready (a late job never un-readies it).
    "videos.transcode": async ({ videoId }, error) => {
      await processor.fail(videoId, null, error instanceof UnrecoverableError ? error.message : `Processing failed: ${error.message}`);
    },
  };
  /**
   * The upload a video waits for settles in the media domain: durable and
   * idempotent subscribers, tried inline by the publishing process first. Run
   * once per bus by the composition root (a second module on the same bus,
   * as some tests build, must not subscribe twice).
   */
  const subscribeToUploads = (): void => {
    events.durable("media.upload-ready", "videos.source-ready", async ({ uploadId, ownerId, purpose }) => {
      if (purpose === "video") await videos.sourceReady(ownerId, uploadId);
    }, { inline: true });
    events.durable("media.upload-failed", "videos.source-failed", async ({ uploadId, ownerId, purpose, reason }) => {
      if (purpose === "video") await videos.sourceFailed(ownerId, uploadId, reason);
    }, { inline: true });
  };
  const scheduledJobs: ScheduledJob[] = [{ id: "videos-refresh", job: "videos.refresh", data: {}, repeat: { every: REFRESH_EVERY_MS } }];
  return { services, jobHandlers, finalFailureHooks, scheduledJobs, maintenanceTasks: [trending.weeklyTask()], outboxCollections: VIDEO_OUTBOX, subscribeToUploads };
}
