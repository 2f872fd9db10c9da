import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import { JOBS, QUEUE_NAMES, bullPrefix, type JobName, type JobPayloads, type QueueName } from "./queues.js";

/**
 * Producer side of every queue. Services depend on this to enqueue work after
 * the write it announces has succeeded.
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

  /**
   * Adds a job. Pass `jobId` where the job must not run twice (e.g.
   * `transcode:{videoId}`): BullMQ ignores a second add with the same id.
   */
  async add<N extends JobName>(name: N, payload: JobPayloads[N], options: JobsOptions = {}): Promise<string | undefined> {
    const definition = JOBS[name];
    const job = await this.queue(definition.queue).add(name, payload, { ...definition.options, ...options });
    return job.id;
  }

  /** Counts per state for every queue (operators' view). */
  async counts(): Promise<Record<QueueName, Record<string, number>>> {
    const entries = await Promise.all(
      QUEUE_NAMES.map(async (name) => [name, await this.queue(name).getJobCounts()] as const),
    );
    return Object.fromEntries(entries) as Record<QueueName, Record<string, number>>;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }
}
