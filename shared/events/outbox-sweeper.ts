import type { Logger } from "../logging/logger.js";
import type { DomainEventBus } from "./event-bus.js";
import type { OutboxRepository } from "./outbox.repository.js";

/** A collection whose documents carry outbox entries, with the shard key that targets one of them. */
export interface OutboxCollection {
  name: string;
  shardKey?: readonly string[];
}

/**
 * Finds outbox entries older than `staleMs` — their process died between the
 * write and the enqueue, or the enqueue failed — and dispatches them again.
 * Safe to run anywhere and concurrently: delivery job ids are deterministic.
 */
export class OutboxSweeper {
  constructor(
    private readonly bus: DomainEventBus,
    private readonly outbox: OutboxRepository,
    private readonly collections: () => readonly OutboxCollection[],
    private readonly staleMs: number,
    private readonly logger: Logger,
    private readonly batch = 500,
  ) {}

  async sweep(now = new Date()): Promise<{ entries: number; jobs: number }> {
    const cutoff = new Date(now.getTime() - this.staleMs);
    let entries = 0;
    let jobs = 0;
    const sources = [
      ...this.collections().map((c) => () => this.outbox.staleInCollection(c.name, c.shardKey ?? [], cutoff, this.batch)),
      () => this.outbox.staleInTable(cutoff, this.batch),
    ];
    for (const source of sources) {
      for (;;) {
        const stale = await source();
        if (stale.length === 0) break;
        entries += stale.length;
        jobs += await this.bus.redispatch(stale);
        if (stale.length < this.batch) break;
      }
    }
    if (entries > 0) this.logger.warn({ entries, jobs }, "re-dispatched outbox entries left by a process that stopped");
    return { entries, jobs };
  }
}
