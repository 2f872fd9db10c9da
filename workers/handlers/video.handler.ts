import { UnrecoverableError } from "bullmq";
import type { JobHandlers } from "./index.js";
import type { Services } from "../../shared/runtime/services.js";
import { PermanentTranscodeFailure } from "../../shared/videos/video-processor.js";

/** Transcoding (one ffmpeg pass per video) and the periodic trending/stale sweep. */
export function videoHandlers(services: Services): Pick<JobHandlers, "videos.transcode" | "videos.refresh"> {
  const { processor, trending } = services.videos;
  return {
    "videos.transcode": async ({ videoId }, job) => {
      try {
        return await processor.transcode(videoId, { finalAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) });
      } catch (error) {
        // The video already failed with its reason; retrying would fail the same way.
        if (error instanceof PermanentTranscodeFailure) throw new UnrecoverableError(error.message);
        throw error;
      }
    },
    "videos.refresh": async () => ({ ...(await trending.recomputeChanged()), staleFailed: await processor.sweepStale() }),
  };
}
