import type { Job } from "bullmq";
import type { JobName, JobPayloads } from "../../shared/queues/queues.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { maintenanceHandlers } from "./maintenance.handler.js";
import { profileProvisionHandlers } from "./profile-provision.handler.js";

export type JobHandler<N extends JobName> = (payload: JobPayloads[N], job: Job<JobPayloads[N]>) => Promise<unknown>;

/** One handler per job name; the mapped type makes the map exhaustive. */
export type JobHandlers = { [N in JobName]: JobHandler<N> };

export function createJobHandlers(services: Services, _platform: Platform): JobHandlers {
  return {
    ...maintenanceHandlers(services),
    ...profileProvisionHandlers(services),
    ...services.callJobHandlers,
  };
}
