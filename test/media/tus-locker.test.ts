import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ERRORS } from "@tus/utils";
import { closeRedis, createRedis, type Redis } from "../../shared/db/redis.js";
import { createLogger } from "../../shared/logging/logger.js";
import { loadConfig } from "../../shared/config/config.js";
import { RedisTusLocker, tusLockKey } from "../../shared/media/tus-redis-locker.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { JobRuntime, Services } from "../../shared/runtime/services.js";
import { startWorkers, type WorkerHost } from "../../workers/worker-host.js";
import { waitFor } from "../helpers/ports.js";
import { spawnRole, stopAllRoles, type RoleProcess } from "../helpers/processes.js";
import { testEnv } from "../helpers/test-env.js";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { createMediaTestStack, createUpload, makeFixtures, settled, type Fixtures } from "./media-fixtures.js";
import { metadata, partialPatch, tusRequest } from "./tus-client.js";

const logger = createLogger(loadConfig()).child({ role: "test" });
const never = new AbortController().signal;

describe("media: the tus locker in Redis", function () {
  this.timeout(30_000);
  let one: Redis;
  let two: Redis;

  before(() => {
    // Two connections stand for two replicas.
    one = createRedis(testEnv.redisUrl, "app", logger, testEnv.redisPrefix);
    two = createRedis(testEnv.redisUrl, "app", logger, testEnv.redisPrefix);
  });
  after(async () => {
    await Promise.all([closeRedis(one), closeRedis(two)]);
  });

  it("holds one lock per upload under a hash-tagged key; a second request asks the holder to let go, then gets it", async () => {
    const id = `tus/${crypto.randomUUID()}`;
    const a = new RedisTusLocker(one, logger, { ttlMs: 2_000 }).newLock(id);
    const b = new RedisTusLocker(two, logger, { ttlMs: 2_000 }).newLock(id);
    let asked = 0;
    await a.lock(never, async () => {
      asked += 1;
      await a.unlock();
    });
    assert.equal(await one.get(tusLockKey(id)) !== null, true);
    assert.match(tusLockKey(id), /^tus-lock:\{tus\/[0-9a-f-]{36}\}$/);
    const started = Date.now();
    await b.lock(never, () => undefined);
    assert.equal(asked, 1, "the holder was asked once");
    assert.ok(Date.now() - started < 1_500, "released on request, not by expiry");
    await b.unlock();
    assert.equal(await one.get(tusLockKey(id)), null);
  });

  it("keeps a lock alive past its TTL while held; a dead holder's lock expires", async () => {
    const id = `tus/${crypto.randomUUID()}`;
    const held = new RedisTusLocker(one, logger, { ttlMs: 300 }).newLock(id);
    await held.lock(never, () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 900));
    const waiter = new RedisTusLocker(two, logger, { ttlMs: 300, acquireTimeoutMs: 400 }).newLock(id);
    await assert.rejects(waiter.lock(never, () => undefined), (error) => error === ERRORS.ERR_LOCK_TIMEOUT, "renewed, so still held");
    await held.unlock();
    // A holder that dies (no renewal, no unlock): its key expires after the TTL.
    await one.set(tusLockKey(id), "dead-holder", "PX", 300);
    const next = new RedisTusLocker(two, logger, { ttlMs: 300, acquireTimeoutMs: 2_000 }).newLock(id);
    await next.lock(never, () => undefined);
    await next.unlock();
  });

  it("gives up when the request is aborted while waiting", async () => {
    const id = `tus/${crypto.randomUUID()}`;
    const held = new RedisTusLocker(one, logger).newLock(id);
    await held.lock(never, () => undefined);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    await assert.rejects(new RedisTusLocker(two, logger).newLock(id).lock(abort.signal, () => undefined), (error) => error === ERRORS.ERR_LOCK_TIMEOUT);
    await held.unlock();
  });
});

describe("media: one resumable upload across two API processes", function () {
  this.timeout(120_000);
  let platform: Platform;
  let services: Services;
  let jobs: JobRuntime;
  let workers: WorkerHost;
  let apiA: RoleProcess;
  let apiB: RoleProcess;
  let ann: TestUser;
  let dir: string;
  let fx: Fixtures;

  before(async () => {
    ({ platform, services, jobs } = await createMediaTestStack());
    workers = await startWorkers(platform, jobs, 0, { schedules: [] });
    [apiA, apiB] = await Promise.all([spawnRole("api"), spawnRole("api")]);
    ann = await createTestUser(services);
    dir = await mkdtemp(path.join(os.tmpdir(), "cw-fx-"));
    fx = await makeFixtures(dir);
  });
  after(async () => {
    await stopAllRoles();
    await workers.close(1000);
    await platform.close();
    await rm(dir, { recursive: true, force: true });
  });

  const auth = () => ({ authorization: `Bearer ${ann.accessToken}` });

  it("one replica starts the upload; the other, asked while the first still holds a stalled PATCH, takes over and finishes it", async () => {
    const created = await createUpload(apiA.url, ann.accessToken, { purpose: "video", mimeType: "video/mp4", size: fx.mp4.length, resumable: true });
    assert.equal(created.status, 201);
    const id = created.body.upload.id;
    const start = await tusRequest(`${apiA.url}/api/media/tus`, "POST", { ...auth(), "upload-length": String(fx.mp4.length), "upload-metadata": metadata(created.body.tus!.metadata) });
    assert.equal(start.status, 201, start.body);
    const onA = `${apiA.url}/api/media/tus/${id}`;
    const onB = `${apiB.url}/api/media/tus/${id}`;
    const patchHeaders = { ...auth(), "content-type": "application/offset+octet-stream" };
    const half = Math.floor(fx.mp4.length / 2);
    // A PATCH on replica A that stalls mid-body (a client whose connection hangs) and holds A's lock.
    const stalled = partialPatch(onA, { ...patchHeaders, "upload-offset": "0", "content-length": String(fx.mp4.length) }, fx.mp4.subarray(0, half));
    await waitFor(async () => (await services.storage.head(`tus/${id}`))?.size === half, 15_000, "A to store the first half");
    // The client resumes on replica B: B's HEAD asks A (through Redis) to let go of the upload.
    const head = await tusRequest(onB, "HEAD", auth());
    assert.equal(head.status, 200, head.body);
    assert.equal(head.headers["upload-offset"], String(half));
    assert.match(await Promise.race([stalled.ended, new Promise<string>((resolve) => setTimeout(() => resolve("still running"), 5_000))]), /answered|closed/, "A ended its request when B asked for the lock");
    stalled.drop();
    const rest = fx.mp4.subarray(half);
    const finished = await tusRequest(onB, "PATCH", { ...patchHeaders, "upload-offset": String(half), "content-length": String(rest.length) }, rest);
    assert.equal(finished.status, 204, finished.body);
    assert.equal(finished.headers["upload-offset"], String(fx.mp4.length));
    const upload = await settled(apiB.url, ann.accessToken, id);
    assert.equal(upload.status, "ready", upload.failureReason);
    assert.equal(upload.metadata.width, 160);
  });
});
