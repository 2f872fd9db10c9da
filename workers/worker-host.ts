import http from "node:http";
import type { AddressInfo } from "node:net";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import { isClientError } from "../shared/errors/app-error.js";
import { createOpsHandler } from "../shared/http/ops-handler.js";
import { metrics } from "../shared/metrics/metrics.js";
import { closeRedis, createRedis } from "../shared/db/redis.js";
import { JOB_SCHEMAS, QUEUE_CONCURRENCY, QUEUE_NAMES, SCHEDULES, JOBS, bullPrefix, type JobName, type QueueName } from "../shared/queues/queues.js";
import type { Platform } from "../shared/runtime/platform.js";
import { checkReadiness } from "../shared/runtime/readiness.js";
import type { Services } from "../shared/runtime/services.js";
import { parseInput } from "../shared/validation/parse.js";
import { createJobHandlers, type JobHandlers } from "./handlers/index.js";

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

/** Which queues a process runs, from WORKER_QUEUES ("all" or a list). */
export function selectQueues(requested: readonly string[]): QueueName[] {
  if (requested.includes("all")) return [...QUEUE_NAMES];
  const unknown = requested.filter((name) => !(QUEUE_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`Unknown queue(s) in WORKER_QUEUES: ${unknown.join(", ")}`);
  return requested as QueueName[];
}

export interface WorkerHostOptions {
  /** Replaces some handlers (tests of the host's own mechanics use this). */
  handlers?: Partial<JobHandlers>;
}

/** Starts one BullMQ worker per selected queue and applies the declared schedules. */
export async function startWorkers(platform: Platform, services: Services, port: number, options: WorkerHostOptions = {}): Promise<WorkerHost> {
  const { config, logger } = platform;
  const queues = selectQueues(config.WORKER_QUEUES);
  const handlers = { ...createJobHandlers(services, platform), ...options.handlers };
  const connection = createRedis(config.REDIS_URL, "bullmq", logger);

  const inFlight = new InFlight();
  const processJob = (job: Job): Promise<unknown> => inFlight.track(run(job));
  const run = async (job: Job): Promise<unknown> => {
    const name = job.name as JobName;
    const log = logger.child({ jobId: job.id, job: name, queue: job.queueName, attempt: job.attemptsMade + 1 });
    const handler = handlers[name] as ((payload: unknown, job: Job) => Promise<unknown>) | undefined;
    if (!handler) throw new UnrecoverableError(`No handler for job "${job.name}"`);
    const end = metrics.jobDuration.startTimer({ queue: job.queueName });
    try {
      const payload = parseInput(JOB_SCHEMAS[name], job.data, `${name} job data`);
      const result = await handler(payload, job);
      metrics.jobsProcessed.inc({ queue: job.queueName, outcome: "completed" });
      log.info("job completed");
      return result;
    } catch (error) {
      metrics.jobsProcessed.inc({ queue: job.queueName, outcome: "failed" });
      log.warn({ err: error }, "job failed");
      // A client error will fail the same way on every attempt.
      if (isClientError(error)) throw new UnrecoverableError((error as Error).message);
      throw error;
    } finally {
      end();
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

  if (config.WORKER_SCHEDULES) {
    for (const schedule of SCHEDULES) {
      const definition = JOBS[schedule.job];
      if (!queues.includes(definition.queue)) continue;
      await platform.jobs
        .queue(definition.queue)
        .upsertJobScheduler(schedule.id, { pattern: schedule.pattern }, { name: schedule.job, data: {}, opts: definition.options });
    }
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
