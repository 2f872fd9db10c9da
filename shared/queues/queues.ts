import type { JobsOptions } from "bullmq";
import { z } from "zod";
import { ringTimeoutSchema, type RingTimeoutPayload } from "../calls/call.jobs.js";

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
  /** A call's ring timeout: those who did not answer missed it. Delayed; removed when the call is answered. */
  "calls.ring-timeout": RingTimeoutPayload;
}

export type JobName = keyof JobPayloads;

const noPayload = z.object({}).strict() as z.ZodType<Record<string, never>>;

/** Job data is a boundary too: each payload is parsed before its handler runs. */
export const JOB_SCHEMAS: { [K in JobName]: z.ZodType<JobPayloads[K]> } = {
  "maintenance.daily": noPayload,
  "maintenance.weekly": noPayload,
  "maintenance.monthly": noPayload,
  "profiles.provision": z.strictObject({ userId: z.uuid() }),
  "calls.ring-timeout": ringTimeoutSchema,
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
  // The liveness sweep ends a call still ringing well past its expiry if every attempt fails.
  "calls.ring-timeout": { queue: "calls", options: { attempts: 5, backoff: { type: "exponential", delay: 1_000 }, removeOnComplete: true, removeOnFail: { age: 24 * 3600 } } },
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
];

/** BullMQ's key prefix for a deployment's Redis prefix. */
export const bullPrefix = (redisPrefix: string): string => `${redisPrefix}bull`;
