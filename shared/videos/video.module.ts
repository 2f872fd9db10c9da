import { tmpdir } from "node:os";
import path from "node:path";
import type { AccessControl } from "../access/access-control.js";
import type { Config } from "../config/config.js";
import type { Logger } from "../logging/logger.js";
import type { MaintenanceTask } from "../maintenance/maintenance.service.js";
import type { JobQueue } from "../queues/job-queue.js";
import type { RealtimePublisher } from "../realtime/publisher.js";
import type { Db } from "mongodb";
import type { Redis } from "ioredis";
import { DirectoryVideoStorage } from "./directory-storage.js";
import { PlaybackGrants } from "./playback-grant.js";
import { StorageUploadSources } from "./storage-upload-sources.js";
import { configureTranscoder } from "./transcoder.js";
import { TrendingService } from "./trending.service.js";
import { VideoEngagementRepository } from "./video-engagement.repository.js";
import { VideoEngagementService } from "./video-engagement.service.js";
import { LocalVideoEvents, type VideoEventSink } from "./video-events.port.js";
import { transcodeJobId, type TranscodeJobs, type VideoSources } from "./video-ports.js";
import { VideoProcessor } from "./video-processor.js";
import type { VideoObjectStorage } from "./video-storage.js";
import { VideoRepository } from "./video.repository.js";
import { VideoService } from "./video.service.js";
import { ViewCounterRepository } from "./view-counter.repository.js";

export interface VideoModuleDeps {
  config: Config;
  db: Db;
  redis: Redis;
  jobs: JobQueue;
  realtime: Pick<RealtimePublisher, "toUser">;
  access: AccessControl;
  logger: Logger;
  /** The object storage port; default: a directory under MEDIA_DIR. */
  storage?: VideoObjectStorage;
  /** Where uploads come from; default: the storage stand-in (`uploads/{userId}/{uploadId}`). */
  sources?: VideoSources;
  /** The domain-event bus; default: in-process dispatch that clears the outbox. */
  events?: VideoEventSink;
  /** Clock of the view counter (tests). */
  clock?: () => number;
}

export interface VideoServices {
  videos: VideoService;
  processor: VideoProcessor;
  engagement: VideoEngagementService;
  trending: TrendingService;
  storage: VideoObjectStorage;
  /** In-process listeners of the stand-in event bus (absent when a bus was given). */
  localEvents?: LocalVideoEvents;
}

export interface VideoModule {
  services: VideoServices;
  maintenanceTasks: MaintenanceTask[];
}

/** Builds the videos domain: catalogue, transcoding, engagement and trending. */
export function createVideoModule(deps: VideoModuleDeps): VideoModule {
  const { config } = deps;
  const logger = deps.logger.child({ domain: "videos" });
  configureTranscoder({ ffmpegPath: config.FFMPEG_PATH, ffprobePath: config.FFPROBE_PATH });
  const repository = new VideoRepository(deps.db);
  const storage = deps.storage ?? new DirectoryVideoStorage(path.resolve(config.MEDIA_DIR));
  const localEvents = deps.events ? undefined : new LocalVideoEvents((ref, ids) => repository.clearOutbox(ref.id, ids), logger);
  const events = deps.events ?? localEvents!;
  const transcodeJobs: TranscodeJobs = {
    async enqueue(videoId) {
      await deps.jobs.add("videos.transcode", { videoId }, { jobId: transcodeJobId(videoId) });
    },
    async state(videoId) {
      const state = await deps.jobs.queue("transcode").getJobState(transcodeJobId(videoId));
      return state === "unknown" ? null : state;
    },
  };
  const videos = new VideoService(
    repository,
    deps.sources ?? new StorageUploadSources(storage),
    deps.access,
    new PlaybackGrants(config.JWT_SECRET),
    storage,
    transcodeJobs,
    events,
    deps.realtime,
    logger,
    { publicUrl: config.PUBLIC_URL.replace(/\/$/, ""), signedUrlTtlSeconds: config.VIDEO_URL_TTL_SECONDS },
  );
  const processor = new VideoProcessor(repository, storage, transcodeJobs, events, deps.realtime, logger, {
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
  const engagement = new VideoEngagementService(repository, engagementRepository, new ViewCounterRepository(deps.redis), videos, deps.clock);
  const trending = new TrendingService(repository);
  return {
    services: { videos, processor, engagement, trending, storage, ...(localEvents ? { localEvents } : {}) },
    maintenanceTasks: [trending.weeklyTask()],
  };
}
