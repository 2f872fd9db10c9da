import { randomUUID } from "node:crypto";
import type { Logger } from "../logging/logger.js";
import type { FanOutBatch, FeedJobs } from "../feed/feed.types.js";
import type { PostEventBus } from "./posts.module.js";
import type { OutboxEntry } from "./posts.deps.js";

/**
 * Until the backbone's durable event bus and job registry are on this branch:
 * durable handlers run in-process right after the write, and fan-out batches run
 * in-process too. Replaced by the backbone's DomainEventBus and defineJob.
 */
export function interimPostEventBus(logger: Logger): PostEventBus & { feedJobs(run: (batch: FanOutBatch) => Promise<unknown>): FeedJobs } {
  const handlers = new Map<string, Array<(payload: never, ctx: { eventId: string }) => Promise<unknown>>>();
  return {
    record(name, payload): OutboxEntry {
      return { id: randomUUID(), name, payload, at: new Date() };
    },
    async published(_ref, entries) {
      for (const entry of entries) {
        for (const handler of handlers.get(entry.name) ?? []) {
          await handler(entry.payload as never, { eventId: entry.id }).catch((error: unknown) => logger.warn({ err: error, event: entry.name }, "subscriber failed"));
        }
      }
    },
    durable(name, _subscriberId, handler) {
      const list = handlers.get(name) ?? [];
      list.push(handler as (payload: never, ctx: { eventId: string }) => Promise<unknown>);
      handlers.set(name, list);
    },
    feedJobs(run) {
      return {
        async enqueueBatches(batches) {
          for (const batch of batches) await run(batch);
        },
      };
    },
  };
}
