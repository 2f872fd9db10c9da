import type { JobHandlers } from "./index.js";
import type { Services } from "../../shared/runtime/services.js";

/** Retries a profile write that registration could not complete; throws (and BullMQ retries) until it succeeds. */
export function profileProvisionHandlers(services: Services): Pick<JobHandlers, "profiles.provision"> {
  return {
    "profiles.provision": async ({ userId }) => ({ completed: await services.profileProvisioner.complete(userId) }),
  };
}
