import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Platform } from "../../shared/runtime/platform.js";
import { AppError } from "../../shared/errors/app-error.js";
import type { JobRuntime, Services } from "../../shared/runtime/services.js";
import { startWorkers } from "../../workers/worker-host.js";
import { waitFor } from "../helpers/ports.js";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { allKeys, makeFixtures, readyUpload, createMediaTestStack, type Fixtures } from "./media-fixtures.js";

describe("media cleanup: expired uploads and orphaned objects", function () {
  this.timeout(60_000);
  let platform: Platform;
  let services: Services;
  let jobs: JobRuntime;
  let ann: TestUser;
  let dir: string;
  let fx: Fixtures;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "cw-fx-"));
    // Its own storage directory: the sweep's view of storage is this test's alone.
    ({ platform, services, jobs } = await createMediaTestStack({ MEDIA_LOCAL_DIR: path.join(dir, "objects") }));
    ann = await createTestUser(services);
    fx = await makeFixtures(dir);
  });
  after(async () => {
    await platform.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("leaves exactly the objects that uploads claim: no orphan survives the job", async () => {
    const ready = await readyUpload(services, ann.userId, fx.png, "image/png");
    const avatar = await readyUpload(services, ann.userId, fx.png, "image/png", "avatar");
    // Expired before its bytes arrived (a partial resumable upload left behind).
    const abandoned = await services.media.createUpload(ann.userId, { purpose: "video", mimeType: "video/mp4", size: fx.mp4.length, resumable: true });
    await services.storage.put(`tus/${abandoned.upload.id}`, fx.mp4.subarray(0, 100), { contentType: "application/octet-stream" });
    await services.storage.put(`tus/${abandoned.upload.id}.json`, Buffer.from("{}"), { contentType: "application/json" });
    // Bytes arrived but the client never said so: completed by the job instead of expired.
    const silent = await services.media.createUpload(ann.userId, { purpose: "chat", mimeType: "image/png", size: fx.png.length });
    await services.storage.put(`private/${ann.userId}/${silent.upload.id}/source`, fx.png, { contentType: "image/png" });
    // Still pending and in time: kept.
    const waiting = await services.media.createUpload(ann.userId, { purpose: "chat", mimeType: "image/png", size: fx.png.length });
    await services.storage.put(`private/${ann.userId}/${waiting.upload.id}/source`, fx.png.subarray(0, 10), { contentType: "image/png" });
    // Orphans: no document, a key the upload does not claim, odd shapes, a tus file of nobody.
    const orphans = [
      `private/${ann.userId}/${randomUUID()}/source`,
      `public/${ann.userId}/${ready.id}/image.png`,
      `private/${ann.userId}/${ready.id}/extra.bin`,
      `public/stray.txt`,
      `tus/${randomUUID()}`,
      `tus/${randomUUID()}.info`,
      `private/not-an-upload/file`,
    ];
    for (const key of orphans) await services.storage.put(key, Buffer.from("orphan"), { contentType: "application/octet-stream" });

    // Now: nothing is due yet, so only the orphans go; pending uploads keep their partial bytes.
    const first = (await services.maintenance.run("daily"))["media.cleanup"]!;
    assert.equal(first.orphansDeleted, orphans.length);
    let keys = await allKeys(services);
    for (const key of orphans) assert.ok(!keys.includes(key), `orphan ${key} deleted`);
    assert.ok(keys.includes(`tus/${abandoned.upload.id}`) && keys.includes(`tus/${abandoned.upload.id}.json`));
    assert.ok(keys.includes(`private/${ann.userId}/${waiting.upload.id}/source`));

    // Past the pending uploads' expiry: the complete one is completed, the others expire and lose their bytes.
    const later = new Date(Date.parse(waiting.upload.expiresAt!) + 1000);
    const second = (await services.maintenance.run("daily", later))["media.cleanup"]!;
    // Other suites' pending uploads share the database: count at least ours.
    assert.ok(second.expired! >= 2 && second.completed! >= 1 && second.orphansDeleted === 0, JSON.stringify(second));
    assert.equal((await services.media.get(ann.userId, abandoned.upload.id)).status, "expired");
    assert.equal((await services.media.get(ann.userId, waiting.upload.id)).status, "expired");
    assert.equal((await services.media.get(ann.userId, silent.upload.id)).status, "uploaded");
    keys = await allKeys(services);
    const live = [ready.id, avatar.id, silent.upload.id];
    for (const key of keys) assert.ok(live.some((id) => key.includes(id)), `${key} belongs to a live upload`);
    assert.equal(keys.filter((key) => key.includes(ready.id)).length, 3);
    assert.equal(keys.filter((key) => key.includes(avatar.id) && key.startsWith("public/")).length, 3);
    assert.deepEqual(keys.filter((key) => key.includes(silent.upload.id)), [`private/${ann.userId}/${silent.upload.id}/source`]);

    // Idempotent: a third run finds nothing to do.
    const third = (await services.maintenance.run("daily", later))["media.cleanup"]!;
    assert.equal(third.orphansDeleted, 0);
    assert.equal((await services.media.get(ann.userId, silent.upload.id)).status, "uploaded");
    assert.deepEqual(await allKeys(services), keys);
  });

  it("a deleted account releases its uploads; they are purged after the retention period", async () => {
    const cat = await createTestUser(services);
    const kept = await readyUpload(services, cat.userId, fx.png, "image/png", "avatar");
    assert.equal((await allKeys(services)).filter((key) => key.includes(kept.id)).length, 3);
    assert.ok(await services.profiles.markDeleted(cat.userId));
    await assert.rejects(services.media.resolveForOwner(cat.userId, kept.id, "avatar"), { code: "MEDIA_NOT_FOUND" });
    await services.maintenance.run("daily");
    assert.equal((await allKeys(services)).filter((key) => key.includes(kept.id)).length, 3, "kept during the retention period");
    await services.maintenance.run("daily", new Date(Date.now() + platform.config.MEDIA_RELEASE_RETENTION_SECONDS * 1000 + 60_000));
    assert.deepEqual((await allKeys(services)).filter((key) => key.includes(kept.id)), []);
  });

  it("an upload whose processing job gives up fails instead of staying in processing", async () => {
    // A handler failing unrecoverably stands for the last of its attempts failing.
    const broken = { ...jobs, handlers: { ...jobs.handlers, "media.process": async () => Promise.reject(new AppError("BAD_REQUEST", "processing broke")) } };
    const workers = await startWorkers(platform, broken, 0);
    try {
      const target = await services.media.createUpload(ann.userId, { purpose: "chat", mimeType: "image/png", size: fx.png.length });
      await services.storage.put(`private/${ann.userId}/${target.upload.id}/source`, fx.png, { contentType: "image/png" });
      await services.media.complete(ann.userId, target.upload.id);
      await waitFor(async () => (await services.media.get(ann.userId, target.upload.id)).status === "failed", 20_000, "the upload to fail");
      assert.equal((await services.media.get(ann.userId, target.upload.id)).failureReason, "the file could not be processed");
      assert.deepEqual((await allKeys(services)).filter((key) => key.includes(target.upload.id)), []);
    } finally {
      await workers.close(1000);
    }
  });
});
