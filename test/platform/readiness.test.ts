import assert from "node:assert/strict";
import { startEmbeddedMongo } from "../../shared/embedded-mongo/index.js";
import { waitFor } from "../helpers/ports.js";
import { spawnRole, type RoleProcess } from "../helpers/processes.js";
import { TestRedisServer } from "../helpers/redis-server.js";
import { testEnv } from "../helpers/test-env.js";

async function readyz(proc: RoleProcess): Promise<{ status: number; body: { ready: boolean; checks: Record<string, { ok: boolean }> } }> {
  const res = await fetch(`${proc.url}/readyz`);
  return { status: res.status, body: (await res.json()) as { ready: boolean; checks: Record<string, { ok: boolean }> } };
}

describe("health and readiness", function () {
  this.timeout(90_000);
  let redis: TestRedisServer;
  let api: RoleProcess | undefined;

  before(async () => {
    redis = await TestRedisServer.start();
  });
  after(async () => {
    await api?.stop();
    await redis.stop();
  });

  it("/healthz answers, /readyz turns 503 while Redis is down and 200 when it returns", async () => {
    api = await spawnRole("api", { REDIS_URL: redis.url });
    const health = await fetch(`${api.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok", role: "api" });
    assert.equal((await readyz(api)).status, 200);

    await redis.stop();
    await waitFor(async () => (await readyz(api!)).status === 503, 15_000, "readyz 503");
    const down = await readyz(api);
    assert.equal(down.body.ready, false);
    assert.equal(down.body.checks.redis?.ok, false);
    assert.equal(down.body.checks.postgres?.ok, true);
    assert.equal((await fetch(`${api.url}/healthz`)).status, 200, "alive while not ready");

    await redis.restart();
    await waitFor(async () => (await readyz(api!)).status === 200, 15_000, "readyz 200 again");
    assert.equal(api.child.exitCode, null, "the process survived the outage");
  });

  it("/readyz turns 503 while MongoDB is down and 200 when it returns", async function () {
    if (!testEnv.embeddedMongo) this.skip(); // restarting a real MongoDB is not ours to do
    let mongo = await startEmbeddedMongo({ port: 0 });
    const port = Number(new URL(mongo.uri.replace("mongodb://", "http://")).port);
    const gateway = await spawnRole("gateway", { MONGO_URL: mongo.uri });
    try {
      assert.equal((await readyz(gateway)).status, 200);
      await mongo.stop();
      await waitFor(async () => (await readyz(gateway)).status === 503, 20_000, "readyz 503");
      assert.equal((await readyz(gateway)).body.checks.mongo?.ok, false);
      mongo = await startEmbeddedMongo({ port });
      await waitFor(async () => (await readyz(gateway)).status === 200, 30_000, "readyz 200 again");
    } finally {
      await gateway.stop();
      await mongo.stop();
    }
  });

  it("every role serves Prometheus metrics", async () => {
    const worker = await spawnRole("worker");
    try {
      const res = await fetch(`${worker.url}/metrics`);
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.match(text, /process_resident_memory_bytes/);
      assert.match(text, /worker_jobs_total/);
      assert.equal((await fetch(`${worker.url}/nope`)).status, 404);
    } finally {
      await worker.stop();
    }
  });
});
