import assert from "node:assert/strict";
import type { Job } from "bullmq";
import type { Platform } from "../../shared/runtime/platform.js";
import { type Composition, type Services } from "../../shared/runtime/services.js";
import { startWorkers, type WorkerHost } from "../../workers/worker-host.js";
import { httpCall } from "../helpers/http.js";
import { waitFor } from "../helpers/ports.js";
import { spawnRole } from "../helpers/processes.js";
import { createTestPlatform } from "../helpers/platform.js";
import { registerProfileUser, type ProfileUser } from "../profiles/profile-fixtures.js";
import { createProfileUsers } from "../profiles/profile-fixtures.js";

/**
 * Domain events: the outbox marker written with the domain change, its
 * dispatch after the write, the sweep that re-dispatches what a dead process
 * left, and deterministic delivery ids that make a second dispatch a no-op.
 */
describe("domain events: durable delivery through the outbox", function () {
  this.timeout(90_000);
  let platform: Platform;
  let composition: Composition;
  let services: Services;
  let workers: WorkerHost | undefined;

  before(async () => {
    ({ platform, composition, services } = await createTestPlatform());
  });
  afterEach(async () => {
    await workers?.close(2_000);
    workers = undefined;
  });
  after(async () => {
    await composition.services.events.flush();
    await platform.close();
  });


  async function pendingCount(owner: ProfileUser): Promise<number> {
    return platform.mongo.db.collection("follows").countDocuments({ followeeId: owner.userId, status: "pending" }, { comment: "scatter-gather: the test counts follow requests by followee" });
  }

  it("a write whose process is SIGKILLed before dispatch takes effect once, after the sweep", async () => {
    const owner = await registerProfileUser(services);
    const requesters = await createProfileUsers(services, 3);
    await services.profiles.updateOwn(owner.actor, { privacy: { isPrivate: true } });
    for (const requester of requesters) await services.follows.follow(requester.actor, owner.userId);
    assert.equal(await pendingCount(owner), 3);

    // The API records the event with the profile change and "dies" before dispatching it.
    const api = await spawnRole("api", { OUTBOX_TEST_HOLD: "true" });
    try {
      const res = await httpCall(api.url, "PATCH", "/api/profiles/me", { token: owner.token, body: { privacy: { isPrivate: false } } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.profile.privacy.isPrivate, false);
    } finally {
      api.kill("SIGKILL");
      await api.exited;
    }
    const stored = await platform.mongo.db.collection("profiles").findOne({ userId: owner.userId });
    assert.equal(stored?.outbox?.length, 1, "the outbox entry survived the process");
    assert.equal(stored?.outbox?.[0]?.name, "profile.became-public");
    assert.equal(await pendingCount(owner), 3, "nothing happened yet");

    workers = await startWorkers(platform, composition.jobs, 0);
    // Two sweeps racing (as two worker processes would), each treating the entry as stale.
    const later = new Date(Date.now() + 60_000);
    const [first, second] = await Promise.all([services.outboxSweeper.sweep(later), services.outboxSweeper.sweep(later)]);
    assert.ok(first.entries + second.entries >= 1);
    await waitFor(async () => (await pendingCount(owner)) === 0, 20_000, "pending requests accepted by the delivered event");
    const profile = await services.profiles.getOwn(owner.actor);
    assert.equal(profile.stats.followersCount, 3, "each request counted once");
    const after = await platform.mongo.db.collection("profiles").findOne({ userId: owner.userId });
    assert.equal(after?.outbox, undefined, "the marker is cleared once dispatched");
    const deliveries = await platform.jobs.queue("events").getJobs(["completed", "active", "waiting", "delayed"]);
    const mine = deliveries.filter((job) => job.data.eventId === stored?.outbox?.[0]?.id);
    assert.equal(mine.length, 1, "one delivery job for the event, however many sweeps");
  });

  it("an event delivered twice (a retry, two dispatches racing) has one effect", async () => {
    const seen: string[] = [];
    let failFirst = true;
    services.events.durable("social.followed", "test.count-followed", async ({ followeeId }, { eventId }) => {
      if (failFirst) {
        failFirst = false;
        throw new Error("transient failure on the first attempt");
      }
      // Idempotent by the stable event id, as every durable subscriber must be.
      if (!seen.includes(eventId)) seen.push(`${eventId}:${followeeId}`);
    });
    workers = await startWorkers(platform, composition.jobs, 0);
    const [a, b] = await createProfileUsers(services, 2);
    await services.follows.follow(a.actor, b.userId);
    await services.events.flush();
    // A dispatch racing the sweep of the same entry: same job id, nothing added.
    const entry = services.events.record("social.followed", { followerId: a.userId, followeeId: b.userId });
    await Promise.all([
      services.events.redispatch([{ ref: { collection: "follows", filter: { followerId: a.userId, followeeId: b.userId } }, entry }]),
      services.events.redispatch([{ ref: { collection: "follows", filter: { followerId: a.userId, followeeId: b.userId } }, entry }]),
    ]);
    await waitFor(() => seen.length === 2, 20_000, "both events delivered");
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(seen.length, 2, `one effect per event: ${seen.join(", ")}`);
    assert.equal(new Set(seen).size, 2);
  });

  it("an in-process subscriber that throws does not fail the write", async () => {
    services.events.on("social.blocked", () => {
      throw new Error("subscriber bug");
    });
    services.events.on("social.blocked", async () => Promise.reject(new Error("async subscriber bug")));
    const [a, b] = await createProfileUsers(services, 2);
    await services.blocks.block(a.actor, b.userId);
    assert.equal(await services.access.isBlockedEitherWay(a.userId, b.userId), true);
  });

  it("a job past its timeout fails, and its final-failure hook runs once", async () => {
    const hookCalls: string[] = [];
    const runtime = {
      ...composition.jobs,
      finalFailureHooks: { "maintenance.task": async ({ task }: { task: string }, error: Error) => void hookCalls.push(`${task}:${error.name}`) },
    };
    let attempts = 0;
    workers = await startWorkers(platform, runtime, 0, {
      timeouts: { "maintenance.task": 300 },
      handlers: {
        "maintenance.task": async (_payload, { signal }) => {
          attempts++;
          await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
          return { aborted: signal.aborted };
        },
      },
    });
    const job = await platform.jobs.queue("maintenance").add("maintenance.task", { task: "slow-one" }, { attempts: 2, backoff: { type: "fixed", delay: 50 } });
    await waitFor(async () => (await job.getState()) === "failed", 20_000, "job failed after its attempts");
    const failed = (await platform.jobs.queue("maintenance").getJob(job.id!)) as Job;
    assert.match(failed.failedReason, /timeout/);
    assert.equal(attempts, 2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(hookCalls, ["slow-one:JobTimeoutError"]);
  });

  it("a delayed job can be cancelled by its id", async () => {
    const id = await platform.jobs.add("maintenance.task", { task: "later" }, { delay: 60_000, jobId: "cancel:me" });
    assert.equal(id, "cancel-me", "a ':' in a job id is replaced");
    assert.equal(await platform.jobs.cancel("maintenance.task", "cancel:me"), true);
    assert.equal(await platform.jobs.queue("maintenance").getJob("cancel-me"), undefined);
    assert.equal(await platform.jobs.cancel("maintenance.task", "cancel:me"), false);
  });
});
