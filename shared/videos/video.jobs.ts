import { z } from "zod";
import { defineJob, KEEP_FINISHED } from "../queues/job-definition.js";
import { transcodeJobId } from "./video-ports.js";

/**
 * The whole HLS ladder of one video in one ffmpeg pass. Bad sources fail at
 * once (unrecoverable); only infrastructure errors are retried. The final
 * failure hook (or, for a job BullMQ gave up on, the stale sweep) fails the
 * video with a reason: none stays processing. The effective time limit is
 * VIDEO_TRANSCODE_TIMEOUT_MS (the processor's own, with a readable reason);
 * this timeout is the hard ceiling above it.
 */
export const transcodeJob = defineJob({
  name: "videos.transcode",
  queue: "transcode",
  schema: z.strictObject({ videoId: z.uuid() }),
  attempts: 3,
  backoff: { type: "exponential", delay: 10_000 },
  timeoutMs: 4 * 3600_000,
  jobId: ({ videoId }) => transcodeJobId(videoId),
  keep: KEEP_FINISHED,
});

/** Every few minutes: trending scores of changed shorts, and the sweep of videos stuck processing. */
export const videosRefreshJob = defineJob({
  name: "videos.refresh",
  queue: "trending",
  schema: z.strictObject({}),
  attempts: 1,
  timeoutMs: 5 * 60_000,
  keep: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
});
