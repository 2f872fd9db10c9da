import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import { bullJobId, QUEUE_NAMES, type QueueName } from "./job-definition.js";
import { JOB_DEFINITIONS, bullPrefix, type JobName, type JobPayloads } from "./jobs.js";

/** Per-call options: a delay, or an explicit id where the definition has none. */
export interface AddOptions {
  delay?: number;
  jobId?: string;
  priority?: number;
}

/**
 * Producer side of every queue: adds jobs with their definition's attempts,
 * backoff, retention and deterministic id, and removes delayed ones by id.
 */
export class JobQueue {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly connection: Redis,
    private readonly redisPrefix: string,
  ) {}

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: bullPrefix(this.redisPrefix) });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** The BullMQ options a job of `name` is added with. */
  optionsFor<N extends JobName>(name: N, payload: JobPayloads[N], options: AddOptions = {}): JobsOptions {
    const definition = JOB_DEFINITIONS[name] as unknown as { attempts: number; backoff?: JobsOptions["backoff"]; keep?: JobsOptions; jobId?: (p: JobPayloads[N]) => string };
    const id = options.jobId ?? definition.jobId?.(payload);
    return {
      attempts: definition.attempts,
      ...(definition.backoff ? { backoff: definition.backoff } : {}),
      ...definition.keep,
      ...(id ? { jobId: bullJobId(id) } : {}),
      ...(options.delay ? { delay: options.delay } : {}),
      ...(options.priority ? { priority: options.priority } : {}),
    };
  }

  /** Adds a job; a second add with the same deterministic id is a no-op while the first is kept. */
  async add<N extends JobName>(name: N, payload: JobPayloads[N], options: AddOptions = {}): Promise<string | undefined> {
    const job = await this.queue(JOB_DEFINITIONS[name].queue).add(name, payload, this.optionsFor(name, payload, options));
    return job.id;
  }

  /** Adds many jobs of one kind with one round trip per queue. */
  async addBulk<N extends JobName>(name: N, payloads: ReadonlyArray<JobPayloads[N]>): Promise<void> {
    if (payloads.length === 0) return;
    await this.queue(JOB_DEFINITIONS[name].queue).addBulk(payloads.map((data) => ({ name, data, opts: this.optionsFor(name, data) })));
  }

  /**
   * Removes a waiting or delayed job by id (a ring timeout once the call is
   * answered); true if it was removed. An active job is left to finish.
   */
  async cancel(name: JobName, jobId: string): Promise<boolean> {
    const queue = this.queue(JOB_DEFINITIONS[name].queue);
    const job = await queue.getJob(bullJobId(jobId));
    if (!job) return false;
    const state = await job.getState();
    if (state !== "delayed" && state !== "waiting" && state !== "prioritized" && state !== "waiting-children") return false;
    try {
      await job.remove();
      return true;
    } catch {
      // It became active meanwhile (the lock is held): it runs and finds nothing to do.
      return false;
    }
  }

  /** Counts per state for every queue (operators' view). */
  async counts(): Promise<Record<QueueName, Record<string, number>>> {
    const entries = await Promise.all(QUEUE_NAMES.map(async (name) => [name, await this.queue(name).getJobCounts()] as const));
    return Object.fromEntries(entries) as Record<QueueName, Record<string, number>>;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }
}
