import { z } from "zod";
import { defineJob, KEEP_FINISHED } from "../queues/job-definition.js";

/**
 * Writes a registered user's profile that the registration request failed to
 * write. Retries for about half an hour; past that the daily sweep and
 * GET /api/me still complete it.
 */
export const profileProvisionJob = defineJob({
  name: "profiles.provision",
  queue: "maintenance",
  schema: z.strictObject({ userId: z.uuid() }),
  attempts: 10,
  backoff: { type: "exponential", delay: 2_000 },
  timeoutMs: 60_000,
  jobId: ({ userId }) => `profile-provision-${userId}`,
  keep: KEEP_FINISHED,
});
