import http from "node:http";
import type { AddressInfo } from "node:net";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import { isClientError } from "../shared/errors/app-error.js";
import { createOpsHandler } from "../shared/http/ops-handler.js";
import { metrics } from "../shared/metrics/metrics.js";
import { closeRedis, createRedis, redisTarget } from "../shared/db/redis.js";
import type { JobContext, QueueName } from "../shared/queues/job-definition.js";
import { JOB_DEFINITIONS, QUEUE_CONCURRENCY, bullPrefix, jobSchema, queuesWithJobs, type JobHandlers, type JobName, type ScheduledJob } from "../shared/queues/jobs.js";
import type { Platform } from "../shared/runtime/platform.js";
import { checkReadiness } from "../shared/runtime/readiness.js";
import type { JobRuntime } from "../shared/runtime/services.js";
import { parseInput } from "../shared/validation/parse.js";
import { applySchedules } from "./schedules.js";

export interface WorkerHost {
  port: number;
  queues: QueueName[];
  /**
   * Stops taking jobs and lets active ones finish for up to `graceMs`; jobs
   * still running then are released (their locks are no longer renewed, so
   * BullMQ's stalled check hands them to another worker).
   */
  close(graceMs?: number): Promise<void>;
}

/** Which queues a process runs, from WORKER_QUEUES ("all" or a list): only queues some job runs on. */
export function selectQueues(requested: readonly string[]): QueueName[] {
  const available = queuesWithJobs();
  if (requested.includes("all")) return available;
  const unknown = requested.filter((name) => !(available as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`Unknown queue(s) in WORKER_QUEUES: ${unknown.join(", ")}`);
  return requested as QueueName[];
}

export interface WorkerHostOptions {
  /** Replaces some handlers (tests of the host's own mechanics use this). */
  handlers?: Partial<JobHandlers>;
  /** Replaces the declared schedules (tests of scheduler safety). */
  schedules?: ScheduledJob[];
  /** Replaces some jobs' timeouts (tests of the timeout itself). */
  timeouts?: Partial<Record<JobName, number>>;
}

/** Thrown into a job whose attempt ran past its definition's timeout. */
export class JobTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`The job ran past its ${timeoutMs} ms timeout`);
    this.name = "JobTimeoutError";
  }
}

/**
 * Starts one BullMQ worker per selected queue and applies the declared
 * schedules. Every attempt is parsed against its job's schema, bounded by its
 * timeout (the handler's AbortSignal fires, the attempt fails), and its
 * definition's final-failure hook runs once when the last attempt fails.
 */
export async function startWorkers(platform: Platform, runtime: JobRuntime, port: number, options: WorkerHostOptions = {}): Promise<WorkerHost> {
  const { config, logger } = platform;
  const queues = selectQueues(config.WORKER_QUEUES);
  const handlers = { ...runtime.handlers, ...options.handlers };
  const connection = createRedis(redisTarget(config), "bullmq", logger);

  const inFlight = new InFlight();
  const processJob = (job: Job, token?: string, signal?: AbortSignal): Promise<unknown> => inFlight.track(run(job, signal));
  const run = async (job: Job, workerSignal: AbortSignal | undefined): Promise<unknown> => {
    const name = job.name as JobName;
    const definition = JOB_DEFINITIONS[name] as (typeof JOB_DEFINITIONS)[JobName] | undefined;
    const log = logger.child({ jobId: job.id, job: name, queue: job.queueName, attempt: job.attemptsMade + 1 });
    const handler = handlers[name] as ((payload: unknown, context: JobContext) => Promise<unknown>) | undefined;
    if (!definition || !handler) throw new UnrecoverableError(`No handler for job "${job.name}"`);
    const end = metrics.jobDuration.startTimer({ queue: job.queueName });
    const controller = new AbortController();
    const onWorkerAbort = () => controller.abort(workerSignal?.reason);
    workerSignal?.addEventListener("abort", onWorkerAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const context: JobContext = { job, signal: controller.signal, log };
    let payload: unknown;
    try {
      payload = parseInput(jobSchema(name), job.data, `${name} job data`);
      const timeoutMs = options.timeouts?.[name] ?? definition.timeoutMs;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new JobTimeoutError(timeoutMs);
          controller.abort(error);
          reject(error);
        }, timeoutMs);
      });
      const result = await Promise.race([handler(payload, context), timedOut]);
      const skipped = typeof result === "object" && result !== null && "skipped" in result;
      metrics.jobsProcessed.inc({ queue: job.queueName, outcome: skipped ? "skipped" : "completed" });
      log.debug({ result }, skipped ? "job skipped" : "job completed");
      return result;
    } catch (error) {
      metrics.jobsProcessed.inc({ queue: job.queueName, outcome: "failed" });
      // A client error (or bad job data) fails the same way on every attempt.
      const final = isClientError(error) || error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      log.warn({ err: error, final }, "job failed");
      if (final) await runFinalFailureHook(name, payload, error as Error, context);
      if (isClientError(error)) throw new UnrecoverableError((error as Error).message);
      throw error;
    } finally {
      clearTimeout(timer);
      workerSignal?.removeEventListener("abort", onWorkerAbort);
      end();
    }
  };

  const runFinalFailureHook = async (name: JobName, payload: unknown, error: Error, context: JobContext): Promise<void> => {
    const hook = runtime.finalFailureHooks[name] as ((p: unknown, e: Error, c: JobContext) => Promise<void>) | undefined;
    if (!hook || payload === undefined) return;
    try {
      await hook(payload, error, context);
    } catch (hookError) {
      context.log.error({ err: hookError }, "final-failure hook failed");
    }
  };

  const workers = queues.map(
    (queue) =>
      new Worker(queue, processJob, {
        connection,
        prefix: bullPrefix(config.REDIS_PREFIX),
        concurrency: QUEUE_CONCURRENCY[queue],
        lockDuration: config.WORKER_LOCK_MS,
        stalledInterval: config.WORKER_LOCK_MS,
      }).on("error", (error) => logger.warn({ err: error, queue }, "worker error")),
  );

  if (config.WORKER_SCHEDULES || options.schedules) {
    const schedules = (options.schedules ?? runtime.schedules).filter((s) => queues.includes(JOB_DEFINITIONS[s.job].queue));
    await applySchedules(platform.jobs, platform.redis, schedules, logger);
  }

  const ops = createOpsHandler(() => checkReadiness(platform), "worker");
  const server = http.createServer((req, res) => {
    if (!ops(req, res)) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "NOT_FOUND", message: "Not found" } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, config.HOST, resolve));
  const actualPort = (server.address() as AddressInfo).port;
  logger.info({ port: actualPort, queues }, "workers running");

  return {
    port: actualPort,
    queues,
    async close(graceMs = config.SHUTDOWN_TIMEOUT_MS) {
      // Stop fetching first; close(force) is only decided once the grace period is known to be over.
      await Promise.all(workers.map((worker) => worker.pause(true)));
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), graceMs)));
      const timedOut = (await Promise.race([inFlight.idle(), graceOver])) === "timeout";
      if (timedOut) logger.warn({ graceMs, active: inFlight.count }, "jobs still running at the deadline; releasing them to other workers");
      await Promise.all(workers.map((worker) => worker.close(timedOut)));
      clearTimeout(timer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeRedis(connection);
    },
  };
}

/** Counts running jobs so shutdown can wait for them without closing the workers. */
class InFlight {
  count = 0;
  private waiters: Array<() => void> = [];

  async track<T>(work: Promise<T>): Promise<T> {
    this.count++;
    try {
      return await work;
    } finally {
      if (--this.count === 0) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}
