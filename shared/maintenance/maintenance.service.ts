import type { Logger } from "../logging/logger.js";

export type MaintenancePeriod = "daily" | "weekly" | "monthly";

/**
 * One unit of scheduled upkeep, owned by the domain whose data it tends.
 * Each must be idempotent: running it twice removes nothing more.
 */
export interface MaintenanceTask {
  name: string;
  period: MaintenancePeriod;
  /** Returns counts of what it did, for the job's result and the logs. */
  run(now: Date): Promise<Record<string, number>>;
}

/** Runs upkeep tasks and reports what each did. */
export class MaintenanceService {
  constructor(
    private readonly tasks: readonly MaintenanceTask[],
    private readonly logger: Logger,
  ) {}

  /** Runs every task of a period in turn (operators and tests; the schedules run tasks one by one). */
  async run(period: MaintenancePeriod, now = new Date()): Promise<Record<string, Record<string, number>>> {
    const results: Record<string, Record<string, number>> = {};
    for (const task of this.tasks.filter((t) => t.period === period)) results[task.name] = await this.runTask(task, now);
    return results;
  }

  async runTask(task: MaintenanceTask, now = new Date()): Promise<Record<string, number>> {
    const result = await task.run(now);
    this.logger.info({ task: task.name, period: task.period, result }, "maintenance task done");
    return result;
  }
}
