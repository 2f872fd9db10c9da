import assert from "node:assert/strict";
import type { Platform } from "../../shared/runtime/platform.js";
import type { ScheduledJob } from "../../shared/queues/jobs.js";
import { type Composition } from "../../shared/runtime/services.js";
import { startWorkers } from "../../workers/worker-host.js";
import { createTestPlatform } from "../helpers/platform.js";

/**
 * Scheduler safety: several workers booting at once, over and over, must end
 * with exactly one scheduler per id and one run per tick (BullMQ issues 2876,
 * 2988 and 3085 describe duplicate or missing scheduled jobs when upserts race).
 */
describe("job schedules under concurrent worker boots", function () {
  this.timeout(120_000);
  let platform: Platform;
  let composition: Composition;

  before(async () => {
    ({ platform, composition } = await createTestPlatform());
  });
  after(async () => platform.close());

  it("3 workers restarted 20 times concurrently leave one scheduler per id and no duplicate run", async () => {
    const runs: Array<{ id: string; at: number }> = [];
    const schedules: ScheduledJob[] = [
      { id: "test-every-second", job: "events.sweep", data: {}, repeat: { every: 1_000 } },
      { id: "test-nightly", job: "maintenance.task", data: { task: "nightly" }, repeat: { pattern: "0 3 * * *" } },
    ];
    const handlers = {
      "events.sweep": async (_payload: unknown, { job }: { job: { id?: string } }) => {
        runs.push({ id: job.id ?? "", at: Date.now() });
        return { entries: 0, jobs: 0 };
      },
    };
    const started = Date.now();
    const worker = async (): Promise<void> => {
      for (let round = 0; round < 20; round++) {
        const host = await startWorkers(platform, composition.jobs, 0, { schedules, handlers });
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 150));
        await host.close(1_000);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    const elapsed = Date.now() - started;

    for (const queueName of ["events", "maintenance"] as const) {
      const queue = platform.jobs.queue(queueName);
      const schedulers = await queue.getJobSchedulers(0, -1);
      const declared = schedules.filter((s) => (s.job === "events.sweep" ? "events" : "maintenance") === queueName).map((s) => s.id);
      assert.deepEqual(schedulers.map((s) => s.key).sort(), declared.sort(), `${queueName}: one scheduler per declared id`);
      const delayed = await queue.getDelayed();
      for (const id of declared) {
        const next = delayed.filter((job) => job.repeatJobKey === id);
        assert.equal(next.length, 1, `${id}: exactly one next run waiting (found ${next.length})`);
      }
    }
    const ids = runs.map((run) => run.id);
    assert.equal(new Set(ids).size, ids.length, "no run executed twice");
    assert.ok(runs.length <= Math.ceil(elapsed / 1_000) + 1, `${runs.length} runs in ${elapsed} ms: no duplicate ticks`);
  });
});
