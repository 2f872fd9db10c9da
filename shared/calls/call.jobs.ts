import { z } from "zod";
import { defineJob } from "../queues/job-definition.js";

/**
 * The calls domain's jobs. `calls.ring-timeout` is delayed by the ring
 * timeout when a call starts ringing and cancelled once nobody rings any more
 * (answered, declined, cancelled); its id comes from the call, so a call has
 * at most one. The liveness sweep ends a call still ringing well past its
 * expiry if every attempt fails.
 */
const jobId = ({ callId }: { callId: string }): string => `ring-${callId}`;

export const ringTimeoutJob = defineJob({
  name: "calls.ring-timeout",
  queue: "calls",
  schema: z.strictObject({ callId: z.uuid() }),
  attempts: 5,
  backoff: { type: "exponential", delay: 1_000 },
  timeoutMs: 15_000,
  jobId,
  keep: { removeOnComplete: true, removeOnFail: { age: 24 * 3600 } },
});

export const RING_TIMEOUT_JOB = ringTimeoutJob.name;
export const ringTimeoutJobId = jobId;
