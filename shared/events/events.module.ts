import type { Db } from "mongodb";
import type pg from "pg";
import type { Logger } from "../logging/logger.js";
import type { JobQueue } from "../queues/job-queue.js";
import type { JobHandlers, ScheduledJob } from "../queues/jobs.js";
import { DomainEventBus } from "./event-bus.js";
import { OutboxRepository } from "./outbox.repository.js";
import { OutboxSweeper, type OutboxCollection } from "./outbox-sweeper.js";

export interface EventsModuleDeps {
  db: Db;
  pool: pg.Pool;
  jobs: Pick<JobQueue, "addBulk">;
  logger: Logger;
  staleMs: number;
  sweepIntervalMs: number;
  hold: boolean;
}

/**
 * The event bus every other module publishes to and subscribes on, the
 * delivery job that runs durable subscribers, and the sweep that re-dispatches
 * what a dead process left in the outbox. Built first; the other modules
 * register the collections that carry outbox entries.
 */
export function createEventsModule(deps: EventsModuleDeps) {
  const log = deps.logger.child({ domain: "events" });
  const outbox = new OutboxRepository(deps.db, deps.pool);
  const bus = new DomainEventBus(
    { enqueue: (jobs) => deps.jobs.addBulk("events.deliver", jobs), clear: (items) => outbox.clear(items) },
    log,
    { hold: deps.hold },
  );
  const collections: OutboxCollection[] = [];
  const sweeper = new OutboxSweeper(bus, outbox, () => collections, deps.staleMs, log);
  const jobHandlers: Pick<JobHandlers, "events.deliver" | "events.sweep"> = {
    "events.deliver": (payload, context) => bus.deliver(payload, context.log),
    "events.sweep": () => sweeper.sweep(),
  };
  const scheduledJobs: ScheduledJob[] = [{ id: "events-sweep", job: "events.sweep", data: {}, repeat: { every: deps.sweepIntervalMs } }];
  return {
    events: bus,
    sweeper,
    /** Declares collections whose documents carry outbox entries (the sweep reads them). */
    registerOutbox(...added: OutboxCollection[]): void {
      for (const collection of added) if (!collections.some((c) => c.name === collection.name)) collections.push(collection);
    },
    jobHandlers,
    scheduledJobs,
  };
}
