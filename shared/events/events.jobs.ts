import { z } from "zod";
import { defineJob } from "../queues/job-definition.js";

/** Runs one durable subscriber for one event. Its id makes a re-dispatch of the same event a no-op while the job is kept. */
export const eventDeliverJob = defineJob({
  name: "events.deliver",
  queue: "events",
  schema: z.strictObject({
    eventId: z.string().min(1).max(64),
    name: z.string().min(1).max(64),
    subscriber: z.string().regex(/^[a-z0-9.-]{1,64}$/),
    payload: z.record(z.string(), z.unknown()),
    at: z.iso.datetime(),
  }),
  attempts: 8,
  backoff: { type: "exponential", delay: 1_000 },
  timeoutMs: 60_000,
  jobId: ({ eventId, subscriber }) => `ev-${eventId}-${subscriber}`,
  // Kept for a week: a sweep re-dispatching an event within that time adds nothing.
  keep: { removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: { age: 14 * 24 * 3600 } },
});

/** Re-dispatches outbox entries whose process died before it enqueued them. */
export const eventSweepJob = defineJob({
  name: "events.sweep",
  queue: "events",
  schema: z.strictObject({}),
  attempts: 1,
  timeoutMs: 60_000,
  keep: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
});
