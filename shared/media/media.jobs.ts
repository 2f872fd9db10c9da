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

/**
 * Copies a large ready upload under `public/` (`MediaService.publish` of an
 * upload over `MEDIA_PUBLISH_INLINE_MAX_BYTES`). One per upload (`media-publish:<id>`);
 * the copy is idempotent, so a retry after a crash mid-copy writes the same keys again.
 */
export const mediaPublishJob = defineJob({
  name: "media.publish",
  queue: "media",
  schema: z.strictObject({ mediaId: z.uuid() }),
  attempts: 5,
  backoff: { type: "exponential", delay: 5_000 },
  timeoutMs: 30 * 60_000,
  jobId: ({ mediaId }) => `media-publish:${mediaId}`,
  keep: KEEP_FINISHED,
});
