import type { BackoffOptions, Job, JobsOptions } from "bullmq";
import type { z } from "zod";
import type { Logger } from "../logging/logger.js";

/** One queue per kind of work. */
export const QUEUE_NAMES = ["events", "transcode", "media", "notifications", "feed", "trending", "maintenance", "calls"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/**
 * Everything about one kind of job, in one place: where it runs, what its
 * payload is, how often it is tried, how long an attempt may take and which
 * id makes a second enqueue of the same work a no-op.
 */
export interface JobDefinition<N extends string = string, P = unknown> {
  name: N;
  queue: QueueName;
  /** Job data is a boundary too: it is parsed before the handler runs. */
  schema: z.ZodType<P>;
  /** Attempts in all, the first included. */
  attempts: number;
  backoff?: BackoffOptions;
  /** An attempt still running after this long fails (and its AbortSignal fires). */
  timeoutMs: number;
  /** A deterministic id where the same work must not be queued twice (no `:` — BullMQ refuses it). */
  jobId?: (payload: P) => string;
  /** How long finished jobs are kept (they make a re-add with the same id a no-op meanwhile). */
  keep?: Pick<JobsOptions, "removeOnComplete" | "removeOnFail">;
}

export type AnyJobDefinition = JobDefinition<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Declares a job; the payload type is inferred from its schema. */
export function defineJob<const N extends string, S extends z.ZodType>(definition: Omit<JobDefinition<N, z.infer<S>>, "schema"> & { schema: S }): JobDefinition<N, z.infer<S>> {
  return definition as JobDefinition<N, z.infer<S>>;
}

/** A table of definitions keyed by name. */
export type JobTable<D extends readonly AnyJobDefinition[]> = { [K in D[number] as K["name"]]: K };

export function jobTable<const D extends readonly AnyJobDefinition[]>(...definitions: D): JobTable<D> {
  return Object.fromEntries(definitions.map((definition) => [definition.name, definition])) as JobTable<D>;
}

/** What a handler may answer besides a result: the entity is gone, nothing to do. */
export interface SkippedOutcome {
  skipped: string;
}

/** What a handler gets besides its payload. */
export interface JobContext {
  job: Job;
  /** Fires when the attempt's timeout passes or the worker shuts down hard. */
  signal: AbortSignal;
  log: Logger;
}

export const KEEP_FINISHED = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
} satisfies JobsOptions;

/** BullMQ refuses custom ids with `:`; ids are written with `-`, and a stray `:` is replaced. */
export function bullJobId(id: string): string {
  return id.replaceAll(":", "-");
}
