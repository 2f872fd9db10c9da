import type { JobsOptions } from "bullmq";
import { z } from "zod";

/** One queue per kind of work. */
export const QUEUE_NAMES = ["transcode", "notifications", "trending", "maintenance", "calls"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/**
 * Every job the system runs, by name: its queue and its payload. Handlers are
 * one exhaustive map over this union (workers/handlers), so adding a job here
 * without a handler fails the type check.
 */
export interface JobPayloads {
  /** Daily clean-up: expired tokens, abandoned uploads, presence/typing leftovers. */
  "maintenance.daily": Record<string, never>;
  /** Weekly: recompute trending scores of hashtags and videos. */
  "maintenance.weekly": Record<string, never>;
  /** Monthly: expire old notifications, purge soft-deleted data past retention. */
  "maintenance.monthly": Record<string, never>;
  /** Writes a registered user's profile that the registration request failed to write. */
  "profiles.provision": { userId: string };
  /** The whole HLS ladder of one video in one ffmpeg pass (job id `transcode-{videoId}`). */
  "videos.transcode": { videoId: string };
  /** Every few minutes: trending scores of changed shorts, and the sweep of videos stuck processing. */
  "videos.refresh": Record<string, never>;
}

export type JobName = keyof JobPayloads;

const noPayload = z.object({}).strict() as z.ZodType<Record<string, never>>;

/** Job data is a boundary too: each payload is parsed before its handler runs. */
export const JOB_SCHEMAS: { [K in JobName]: z.ZodType<JobPayloads[K]> } = {
  "maintenance.daily": noPayload,
  "maintenance.weekly": noPayload,
  "maintenance.monthly": noPayload,
  "profiles.provision": z.strictObject({ userId: z.uuid() }),
  "videos.transcode": z.strictObject({ videoId: z.uuid() }),
  "videos.refresh": noPayload,
};

export interface JobDefinition {
  queue: QueueName;
  options: JobsOptions;
}

const KEEP_FINISHED = {
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
} satisfies JobsOptions;

/** The one table of attempts, backoff and retention for every job. */
export const JOBS: { [K in JobName]: JobDefinition } = {
  "maintenance.daily": { queue: "maintenance", options: { attempts: 3, backoff: { type: "exponential", delay: 60_000 }, ...KEEP_FINISHED } },
  "maintenance.weekly": { queue: "maintenance", options: { attempts: 3, backoff: { type: "exponential", delay: 60_000 }, ...KEEP_FINISHED } },
  "maintenance.monthly": { queue: "maintenance", options: { attempts: 3, backoff: { type: "exponential", delay: 60_000 }, ...KEEP_FINISHED } },
  // Retries for about half an hour; past that the daily sweep and GET /api/me still complete it.
  "profiles.provision": { queue: "maintenance", options: { attempts: 10, backoff: { type: "exponential", delay: 2_000 }, ...KEEP_FINISHED } },
  // Bad sources fail at once (unrecoverable); only infrastructure errors are retried. The last
  // attempt's failure, or the stale sweep, marks the video failed: none stays processing.
  "videos.transcode": { queue: "transcode", options: { attempts: 3, backoff: { type: "exponential", delay: 10_000 }, ...KEEP_FINISHED } },
  "videos.refresh": { queue: "trending", options: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
};

/** How many jobs of each queue one worker process runs at once. */
export const QUEUE_CONCURRENCY: { [Q in QueueName]: number } = {
  transcode: 1,
  notifications: 20,
  trending: 2,
  maintenance: 1,
  calls: 20,
};

/** Cron-like schedules, applied with upsertJobScheduler when a worker starts. */
export const SCHEDULES: ReadonlyArray<{ id: string; job: JobName; pattern: string }> = [
  { id: "maintenance-daily", job: "maintenance.daily", pattern: "0 3 * * *" },
  { id: "maintenance-weekly", job: "maintenance.weekly", pattern: "0 4 * * 1" },
  { id: "maintenance-monthly", job: "maintenance.monthly", pattern: "0 5 1 * *" },
  { id: "videos-refresh", job: "videos.refresh", pattern: "*/5 * * * *" },
];

/** BullMQ's key prefix for a deployment's Redis prefix. */
export const bullPrefix = (redisPrefix: string): string => `${redisPrefix}bull`;
