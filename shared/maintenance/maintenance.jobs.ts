import { z } from "zod";
import { defineJob, KEEP_FINISHED } from "../queues/job-definition.js";

/** One scheduled upkeep task (each its own scheduler, so one failing task neither blocks nor reruns the others). */
export const maintenanceTaskJob = defineJob({
  name: "maintenance.task",
  queue: "maintenance",
  schema: z.strictObject({ task: z.string().regex(/^[a-z0-9-]{1,64}$/) }),
  attempts: 3,
  backoff: { type: "exponential", delay: 60_000 },
  timeoutMs: 30 * 60_000,
  keep: KEEP_FINISHED,
});
