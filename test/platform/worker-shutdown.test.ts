import assert from "node:assert/strict";
import type { Job } from "bullmq";
import { loadConfig } from "../../shared/config/config.js";
import { createLogger } from "../../shared/logging/logger.js";
import { createPlatform, type Platform } from "../../shared/runtime/platform.js";
import { composeModules } from "../../shared/runtime/services.js";
import { startWorkers } from "../../workers/worker-host.js";
import { waitFor } from "../helpers/ports.js";
import { testEnv } from "../helpers/test-env.js";

/**
 * The worker host's own drain mechanics, with a deliberately slow handler in
 * place of the real one: real BullMQ, real Redis, a queue prefix of our own.
 */
describe("worker drain on shutdown", function () {
  this.timeout(60_000);
  let platform: Platform;

  before(async () => {
    const config = loadConfig({
      ...process.env,
      REDIS_PREFIX: `${testEnv.redisPrefix}wd${Date.now().toString(36)}:`,
      WORKER_QUEUES: "maintenance",
      WORKER_LOCK_MS: "2000",
    });
    platform = await createPlatform(config, createLogger(config), testEnv.mongoUrl);
  });
  after(() => platform.close());

  const slowHandler = (ms: number, log: string[]) => async (_payload: unknown, { job }: { job: Job }) => {
    log.push(`start:${job.id}`);
    await new Promise((resolve) => setTimeout(resolve, ms));
    log.push(`end:${job.id}`);
    return { slept: ms };
  };

  it("finishes an active job before closing", async () => {
    const log: string[] = [];
    const { jobs: runtime } = composeModules(platform);
    const host = await startWorkers(platform, runtime, 0, { handlers: { "maintenance.task": slowHandler(1_500, log) } });
    const jobId = await platform.jobs.add("maintenance.task", { task: "noop" }, { jobId: "drain-finish" });
    await waitFor(() => log.length > 0, 10_000, "job to start");
    await host.close(10_000);
    assert.deepEqual(log, [`start:${jobId}`, `end:${jobId}`]);
    const job = await platform.jobs.queue("maintenance").getJob(jobId!);
    assert.equal(await job?.getState(), "completed");
  });

  it("releases a job still running at the deadline, and another worker completes it", async () => {
    const log: string[] = [];
    const { jobs: runtime } = composeModules(platform);
    const stuck = await startWorkers(platform, runtime, 0, { handlers: { "maintenance.task": slowHandler(20_000, log) } });
    const jobId = await platform.jobs.add("maintenance.task", { task: "noop" }, { jobId: "drain-release" });
    await waitFor(() => log.length > 0, 10_000, "job to start");
    const started = Date.now();
    await stuck.close(500);
    assert.ok(Date.now() - started < 5_000, "close returned at its deadline");

    const rescuer = await startWorkers(platform, runtime, 0, { handlers: { "maintenance.task": slowHandler(10, log) } });
    try {
      const job = await platform.jobs.queue("maintenance").getJob(jobId!);
      await waitFor(async () => (await job?.getState()) === "completed", 20_000, "job completed by the second worker");
      assert.equal(log.filter((line) => line === `start:${jobId}`).length, 2, "the job ran again after being released");
    } finally {
      await rescuer.close(5_000);
    }
  });
});
