import type { JobHandlers } from "./index.js";
import type { Services } from "../../shared/runtime/services.js";

/** Checks and processes an upload whose bytes arrived. */
export function mediaHandlers(services: Services): Pick<JobHandlers, "media.process"> {
  return {
    "media.process": (payload) => services.media.process(payload.uploadId),
  };
}
