import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startApi, type ApiServer } from "../../api/server.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { JobRuntime, Services } from "../../shared/runtime/services.js";
import { startWorkers, type WorkerHost } from "../../workers/worker-host.js";
import { startS3Server, type TestS3Server } from "../helpers/s3-server.js";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { allKeys, createUpload, makeFixtures, readyUpload, settled, createMediaTestStack, type Fixtures } from "./media-fixtures.js";

describe("media over S3 (s3rver): presigned PUT, the same checks, the same cleanup", function () {
  this.timeout(60_000);
  let s3: TestS3Server;
  let platform: Platform;
  let services: Services;
  let jobs: JobRuntime;
  let api: ApiServer;
  let workers: WorkerHost;
  let base: string;
  let ann: TestUser;
  let dir: string;
  let fx: Fixtures;

  before(async () => {
    s3 = await startS3Server();
    ({ platform, services, jobs } = await createMediaTestStack({
      MEDIA_STORAGE: "s3",
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: s3.bucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_FORCE_PATH_STYLE: "true",
      MEDIA_PUBLIC_URL: "https://cdn.example.test/media",
    }));
    [api, workers] = await Promise.all([startApi(platform, services, 0), startWorkers(platform, jobs, 0)]);
    base = `http://127.0.0.1:${api.port}`;
    ann = await createTestUser(services);
    dir = await mkdtemp(path.join(os.tmpdir(), "cw-fx-"));
    fx = await makeFixtures(dir);
  });
  after(async () => {
    await workers.close(1000);
    await api.close();
    await platform.close();
    await s3.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("an image PUT to its presigned URL becomes ready, with variants in the bucket and CDN URLs for public media", async () => {
    const created = await createUpload(base, ann.accessToken, { purpose: "avatar", mimeType: "image/jpeg", size: fx.jpegWithExif.length });
    assert.equal(created.status, 201);
    const put = created.body.put!;
    assert.ok(put.url.startsWith(s3.endpoint), put.url);
    assert.match(put.url, /X-Amz-Signature=/);
    assert.equal((await fetch(put.url, { method: "PUT", body: fx.jpegWithExif, headers: put.headers })).status, 200);
    const id = created.body.upload.id;
    const done = await fetch(`${base}/api/media/uploads/${id}/complete`, { method: "POST", headers: { authorization: `Bearer ${ann.accessToken}` } });
    assert.equal(done.status, 200);
    const upload = await settled(base, ann.accessToken, id);
    assert.equal(upload.status, "ready", upload.failureReason);
    const keys = (await allKeys(services)).filter((key) => key.includes(id));
    assert.deepEqual(keys.map((key) => key.split("/")[0]).sort(), ["public", "public", "public"]);
    const urls = (await services.media.urlsFor([id])).get(id)!;
    assert.equal(urls.url, `https://cdn.example.test/media/public/${ann.userId}/${id}/image.jpg`);
  });

  it("a spoofed file fails and leaves nothing in the bucket; the cleanup job sweeps orphans there too", async () => {
    const created = await createUpload(base, ann.accessToken, { purpose: "chat", mimeType: "image/jpeg", size: fx.png.length });
    const id = created.body.upload.id;
    assert.equal((await fetch(created.body.put!.url, { method: "PUT", body: fx.png, headers: created.body.put!.headers })).status, 200);
    await fetch(`${base}/api/media/uploads/${id}/complete`, { method: "POST", headers: { authorization: `Bearer ${ann.accessToken}` } });
    const upload = await settled(base, ann.accessToken, id);
    assert.equal(upload.status, "failed");
    assert.match(upload.failureReason ?? "", /image\/png, not image\/jpeg/);
    assert.deepEqual((await allKeys(services)).filter((key) => key.includes(id)), []);
    await services.storage.put(`private/${ann.userId}/${id}/leftover`, Buffer.from("x"), { contentType: "text/plain" });
    await services.storage.put("tus/not-an-upload", Buffer.from("x"), { contentType: "text/plain" });
    const before = await allKeys(services);
    const result = (await services.maintenance.run("daily"))["media.cleanup"]!;
    assert.equal(result.orphansDeleted, 2);
    assert.deepEqual(await allKeys(services), before.filter((key) => !key.endsWith("/leftover") && key !== "tus/not-an-upload"));
  });

  it("a post upload stays private until a public post publishes it; then its copies are in the bucket under public/", async () => {
    const upload = await readyUpload(services, ann.userId, fx.png, "image/png", "post");
    const before = (await services.media.urlsFor([upload.id], { publicAudience: true })).get(upload.id)!;
    assert.match(before.url, /X-Amz-Signature=/, "not published yet: a presigned link");
    await services.media.publish(upload.id);
    await services.media.publish(upload.id);
    const keys = (await allKeys(services)).filter((key) => key.includes(upload.id));
    assert.deepEqual(keys.map((key) => key.split("/")[0]).sort(), ["private", "private", "private", "public", "public", "public"]);
    const urls = (await services.media.urlsFor([upload.id], { publicAudience: true })).get(upload.id)!;
    assert.equal(urls.url, `https://cdn.example.test/media/public/${ann.userId}/${upload.id}/image.png`);
    assert.equal(urls.displayUrl, `https://cdn.example.test/media/public/${ann.userId}/${upload.id}/display.webp`);
    assert.equal((await services.storage.head(`public/${ann.userId}/${upload.id}/display.webp`))?.contentType, "image/webp");
    assert.match((await services.media.urlsFor([upload.id])).get(upload.id)!.url, /X-Amz-Signature=/, "other audiences still get presigned links");
  });
});
