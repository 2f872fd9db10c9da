import { profileProvisionJob } from "../auth/auth.jobs.js";
import { ringTimeoutJob } from "../calls/call.jobs.js";
import { eventDeliverJob, eventSweepJob } from "../events/events.jobs.js";
import { maintenanceTaskJob } from "../maintenance/maintenance.jobs.js";
import { transcodeJob, videosRefreshJob } from "../videos/video.jobs.js";
import { mediaProcessJob, mediaPublishJob } from "../media/media.jobs.js";
import { feedFanOutBatchJob, trendsRefreshJob } from "../posts/posts.jobs.js";
import { announceBatchJob, emailDigestJob, followerFanOutJob } from "../notifications/notification.jobs.js";
import type { z } from "zod";
import { jobTable, type JobContext, type JobDefinition, type QueueName, type SkippedOutcome } from "./job-definition.js";

/**
 * Every job the system runs, by name. Each domain declares its definitions in
 * `<domain>.jobs.ts` and lists them here; the handler map over these names is
 * exhaustive (the composition root fails the type check when one is missing).
 */
export const JOB_DEFINITIONS = jobTable(
  eventDeliverJob,
  eventSweepJob,
  maintenanceTaskJob,
  profileProvisionJob,
  announceBatchJob,
  followerFanOutJob,
  emailDigestJob,
  transcodeJob,
  videosRefreshJob,
  mediaProcessJob,
  mediaPublishJob,
  feedFanOutBatchJob,
  trendsRefreshJob,
  ringTimeoutJob,
);

export type JobDefinitions = typeof JOB_DEFINITIONS;
export type JobName = keyof JobDefinitions & string;
export type JobPayloads = { [N in JobName]: JobDefinitions[N] extends JobDefinition<N, infer P> ? P : never };

/** Parses a job's data with its definition's schema. */
export const jobSchema = <N extends JobName>(name: N): z.ZodType<JobPayloads[N]> => JOB_DEFINITIONS[name].schema as z.ZodType<JobPayloads[N]>;

export type JobHandler<N extends JobName> = (payload: JobPayloads[N], context: JobContext) => Promise<unknown>;
/** One handler per job name. */
export type JobHandlers = { [N in JobName]: JobHandler<N> };
/** Runs once when a job's last attempt failed (or it failed unrecoverably). */
export type FinalFailureHook<N extends JobName> = (payload: JobPayloads[N], error: Error, context: JobContext) => Promise<void>;
export type FinalFailureHooks = { [N in JobName]?: FinalFailureHook<N> };
export type { SkippedOutcome };

/** How many jobs of each queue one worker process runs at once. */
export const QUEUE_CONCURRENCY: { [Q in QueueName]: number } = {
  events: 20,
  transcode: 1,
  media: 2,
  notifications: 20,
  feed: 4,
  trending: 2,
  maintenance: 1,
  calls: 20,
};

/** The queues at least one job runs on: a worker starts only these. */
export function queuesWithJobs(): QueueName[] {
  return [...new Set(Object.values(JOB_DEFINITIONS).map((definition) => definition.queue))];
}

/** A cron-like or fixed-interval schedule, applied with upsertJobScheduler at worker start. */
export interface ScheduledJob<N extends JobName = JobName> {
  /** The scheduler id: one scheduler per id, whatever how many workers boot. */
  id: string;
  job: N;
  data: JobPayloads[N];
  repeat: { pattern: string } | { every: number };
}

/**
 * BullMQ's key prefix for a deployment's Redis prefix, hash-tagged
 * (`{cw:bull}`) as BullMQ requires on Redis Cluster: its scripts touch
 * several keys of a queue, which must share one hash slot. Every queue of a
 * deployment therefore lives on one shard; the app's own keys are spread.
 */
export const bullPrefix = (redisPrefix: string): string => `{${redisPrefix}bull}`;
