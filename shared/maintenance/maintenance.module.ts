import type { Logger } from "../logging/logger.js";
import type { JobHandlers, ScheduledJob } from "../queues/jobs.js";
import { MaintenanceService, type MaintenancePeriod, type MaintenanceTask } from "./maintenance.service.js";

/** When each period's tasks run (UTC). */
const PERIOD_PATTERNS: Record<MaintenancePeriod, string> = {
  daily: "0 3 * * *",
  weekly: "0 4 * * 1",
  monthly: "0 5 1 * *",
};

/** Scheduler ids and task names share this form (`auth.expired-tokens` → `maintenance-auth-expired-tokens`). */
const taskSlug = (name: string): string => name.replace(/[^a-z0-9]+/g, "-");

/**
 * Scheduled upkeep: every domain's tasks, each its own scheduled job, so one
 * failing task neither blocks nor reruns the others.
 */
export function createMaintenanceModule(deps: { tasks: readonly MaintenanceTask[]; logger: Logger }) {
  const maintenance = new MaintenanceService(deps.tasks, deps.logger.child({ domain: "maintenance" }));
  const jobHandlers: Pick<JobHandlers, "maintenance.task"> = {
    "maintenance.task": async ({ task }) => {
      const found = deps.tasks.find((t) => taskSlug(t.name) === task);
      if (!found) return { skipped: `no maintenance task "${task}"` };
      return maintenance.runTask(found);
    },
  };
  const scheduledJobs: ScheduledJob[] = deps.tasks.map((task) => ({
    id: `maintenance-${taskSlug(task.name)}`,
    job: "maintenance.task",
    data: { task: taskSlug(task.name) },
    repeat: { pattern: PERIOD_PATTERNS[task.period] },
  }));
  return { maintenance, jobHandlers, scheduledJobs };
}
