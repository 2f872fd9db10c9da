import { randomUUID } from "node:crypto";
import { defineScripts } from "../shared/db/redis-scripts.js";
import type { Redis } from "../shared/db/redis.js";
import type { Logger } from "../shared/logging/logger.js";
import type { JobQueue } from "../shared/queues/job-queue.js";
import type { QueueName } from "../shared/queues/job-definition.js";
import { JOB_DEFINITIONS, type ScheduledJob } from "../shared/queues/jobs.js";

const LOCK_KEY = "{schedules}:lock";
const LOCK_TTL_MS = 30_000;
const LOCK_WAIT_MS = 60_000;
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * Applies the declared schedules with `upsertJobScheduler`, one booting worker
 * at a time (a Redis lock), and only where a scheduler is missing or differs.
 * Concurrent upserts of the same scheduler are what leave duplicate or missing
 * delayed jobs behind (BullMQ issues 2876, 2988, 3085); serialised and skipped
 * when unchanged, any number of workers booting at once end with exactly one
 * scheduler per id and one run per tick. Schedulers no longer declared on
 * these queues are removed.
 */
export async function applySchedules(jobs: JobQueue, redis: Redis, schedules: readonly ScheduledJob[], logger: Logger): Promise<void> {
  defineScripts(redis, { schedulesRelease: { numberOfKeys: 1, lua: RELEASE, sample: () => [LOCK_KEY, "token"] } });
  const token = randomUUID();
  const deadline = Date.now() + LOCK_WAIT_MS;
  while ((await redis.set(LOCK_KEY, token, "PX", LOCK_TTL_MS, "NX")) !== "OK") {
    if (Date.now() > deadline) throw new Error("Timed out waiting for the schedules lock");
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
  }
  try {
    const byQueue = new Map<QueueName, ScheduledJob[]>();
    for (const schedule of schedules) {
      const queue = JOB_DEFINITIONS[schedule.job].queue;
      byQueue.set(queue, [...(byQueue.get(queue) ?? []), schedule]);
    }
    for (const [queueName, declared] of byQueue) {
      const queue = jobs.queue(queueName);
      const existing = new Map((await queue.getJobSchedulers(0, -1)).map((s) => [s.key, s]));
      for (const schedule of declared) {
        const current = existing.get(schedule.id);
        existing.delete(schedule.id);
        const repeat = schedule.repeat;
        const same =
          current !== undefined &&
          current.name === schedule.job &&
          ("pattern" in repeat ? current.pattern === repeat.pattern : Number(current.every) === repeat.every) &&
          JSON.stringify(current.template?.data ?? {}) === JSON.stringify(schedule.data);
        if (same) continue;
        const opts = jobs.optionsFor(schedule.job, schedule.data as never);
        delete opts.jobId;
        await queue.upsertJobScheduler(schedule.id, repeat, { name: schedule.job, data: schedule.data, opts });
        logger.info({ scheduler: schedule.id, repeat }, "job scheduler applied");
      }
      for (const stale of existing.keys()) {
        await queue.removeJobScheduler(stale);
        logger.info({ scheduler: stale }, "job scheduler no longer declared; removed");
      }
    }
  } finally {
    await (redis as Redis & { schedulesRelease(key: string, token: string): Promise<number> }).schedulesRelease(LOCK_KEY, token);
  }
}
