import type { JobHandlers } from "./index.js";
import type { Services } from "../../shared/runtime/services.js";

/** Scheduled upkeep: each period runs the tasks every domain registered for it. */
export function maintenanceHandlers(services: Services): Pick<JobHandlers, "maintenance.daily" | "maintenance.weekly" | "maintenance.monthly"> {
  return {
    "maintenance.daily": () => services.maintenance.run("daily"),
    "maintenance.weekly": () => services.maintenance.run("weekly"),
    "maintenance.monthly": () => services.maintenance.run("monthly"),
  };
}
