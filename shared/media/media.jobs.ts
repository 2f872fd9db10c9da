import { z } from "zod";
import { defineJob, KEEP_FINISHED } from "../queues/job-definition.js";

/**
 * Checks and processes an upload whose bytes arrived (sniffing, decoding,
 * probing, variants). One per upload: the id is deterministic (`media:<id>`,
 * stored as `media-<id>`). After the last failed attempt the upload fails. A rejected
 * file is a result (`failed` with a reason), not a job failure; store or
 * ffmpeg trouble retries. A 4 GB video is read once and probed, not decoded.
 */
export const mediaProcessJob = defineJob({
  name: "media.process",
  queue: "media",
  schema: z.strictObject({ uploadId: z.uuid() }),
  attempts: 5,
  backoff: { type: "exponential", delay: 5_000 },
  timeoutMs: 15 * 60_000,
  jobId: ({ uploadId }) => `media:${uploadId}`,
  keep: KEEP_FINISHED,
});
