import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startApi, type ApiServer } from "../../api/server.js";
import type { UploadTarget } from "../../shared/media/media.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { JobRuntime, Services } from "../../shared/runtime/services.js";
import { startWorkers, type WorkerHost } from "../../workers/worker-host.js";
import { waitFor } from "../helpers/ports.js";
import { startListPartsProxy, type ListPartsProxy } from "../helpers/s3-list-parts-proxy.js";
import { startS3Server, type TestS3Server } from "../helpers/s3-server.js";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { allKeys, createUpload, makeFixtures, settled, createMediaTestStack, type Fixtures } from "./media-fixtures.js";
import { metadata, partialPatch, tusRequest } from "./tus-client.js";

/** The tus store over local files, and over S3 (s3rver behind a proxy that answers ListParts). */
for (const adapter of ["local", "s3"] as const) describe(`media: resumable uploads (tus 1.0 at /api/media/tus), ${adapter} storage`, function () {
  this.timeout(90_000);
  let s3: TestS3Server | undefined;
  let proxy: ListPartsProxy | undefined;
  let platform: Platform;
  let services: Services;
  let jobs: JobRuntime;
  let api: ApiServer;
  let workers: WorkerHost;
  let base: string;
  let ann: TestUser;
  let bob: TestUser;
  let dir: string;
  let fx: Fixtures;

  before(async () => {
    let env: Record<string, string> = {};
    if (adapter === "s3") {
      s3 = await startS3Server();
      proxy = await startListPartsProxy(s3.endpoint);
      env = { MEDIA_STORAGE: "s3", S3_ENDPOINT: proxy.endpoint, S3_BUCKET: s3.bucket, S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey, S3_FORCE_PATH_STYLE: "true" };
    }
    ({ platform, services, jobs } = await createMediaTestStack(env));
    [api, workers] = await Promise.all([startApi(platform, services, 0), startWorkers(platform, jobs, 0)]);
    base = `http://127.0.0.1:${api.port}`;
    [ann, bob] = await Promise.all([createTestUser(services), createTestUser(services)]);
    dir = await mkdtemp(path.join(os.tmpdir(), "cw-fx-"));
    fx = await makeFixtures(dir);
  });
  after(async () => {
    await workers.close(1000);
    await api.close();
    await platform.close();
    await proxy?.close();
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  /** A download URL: the local adapter's go through this run's API, S3's to the bucket. */
  const reachable = (url: string) => (adapter === "local" ? `${base}${new URL(url).pathname}${new URL(url).search}` : url);

  const newTarget = async (size = fx.mp4.length): Promise<UploadTarget> => {
    const created = await createUpload(base, ann.accessToken, { purpose: "video", mimeType: "video/mp4", size, resumable: true });
    assert.equal(created.status, 201);
    assert.ok(created.body.tus && !created.body.put);
    assert.match(created.body.tus.endpoint, /\/api\/media\/tus$/);
    return created.body;
  };
  const auth = (user: TestUser) => ({ authorization: `Bearer ${user.accessToken}` });

  it("resumes an interrupted upload from the offset HEAD reports, and the video becomes ready", async () => {
    const target = await newTarget();
    const id = target.upload.id;
    const created = (await tusRequest(`${base}/api/media/tus`, "POST", { ...auth(ann), "upload-length": String(fx.mp4.length), "upload-metadata": metadata(target.tus!.metadata) }));
    assert.equal(created.status, 201, created.body);
    const location = new URL(created.headers.location!, base).toString();
    assert.match(location, new RegExp(`/api/media/tus/${id}$`));
    const half = Math.floor(fx.mp4.length / 2);
    const patchHeaders = { ...auth(ann), "content-type": "application/offset+octet-stream" };
    const patch = partialPatch(location, { ...patchHeaders, "upload-offset": "0", "content-length": String(fx.mp4.length) }, fx.mp4.subarray(0, half));
    // The connection drops once the server has some of the bytes.
    await waitFor(async () => Number((await tusRequest(location, "HEAD", auth(ann))).headers["upload-offset"]) > 0, 15_000, "the first bytes to arrive");
    patch.drop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const head = await tusRequest(location, "HEAD", auth(ann));
    assert.equal(head.status, 200);
    const offset = Number(head.headers["upload-offset"]);
    assert.ok(offset > 0 && offset <= half, `offset ${offset} of ${fx.mp4.length}`);
    assert.equal(head.headers["upload-length"], String(fx.mp4.length));
    assert.equal((await services.media.get(ann.userId, id)).status, "pending");
    const rest = fx.mp4.subarray(offset);
    const finished = (await tusRequest(location, "PATCH", { ...patchHeaders, "upload-offset": String(offset), "content-length": String(rest.length) }, rest));
    assert.equal(finished.status, 204, finished.body);
    assert.equal(finished.headers["upload-offset"], String(fx.mp4.length));
    const upload = await settled(base, ann.accessToken, id);
    assert.equal(upload.status, "ready", upload.failureReason);
    assert.equal(upload.metadata.width, 160);
    assert.deepEqual((await allKeys(services)).filter((key) => key.includes(id)), [`tus/${id}`], "the bytes stay, the tus bookkeeping goes");
    const urls = (await services.media.urlsFor([id])).get(id)!;
    const served = await fetch(reachable(urls.url));
    assert.deepEqual(Buffer.from(await served.arrayBuffer()), fx.mp4);
  });

  it("binds each tus upload to its owner's pending upload of that exact size, once", async () => {
    const target = await newTarget();
    const meta = { "upload-metadata": metadata(target.tus!.metadata) };
    const length = { "upload-length": String(fx.mp4.length) };
    const cases: Array<[string, Record<string, string>, number]> = [
      ["no token", { ...length, ...meta }, 401],
      ["another user", { ...auth(bob), ...length, ...meta }, 404],
      ["another length", { ...auth(ann), "upload-length": String(fx.mp4.length + 1), ...meta }, 400],
      ["deferred length", { ...auth(ann), "upload-defer-length": "1", ...meta }, 400],
      ["no upload id", { ...auth(ann), ...length, "upload-metadata": metadata({ filetype: "video/mp4" }) }, 400],
      ["far past the declared size", { ...auth(ann), "upload-length": String(5 * 1024 ** 3), ...meta }, 400],
    ];
    for (const [name, headers, status] of cases) {
      const response = (await tusRequest(`${base}/api/media/tus`, "POST", headers));
      assert.equal(response.status, status, `${name}: ${response.body}`);
    }
    const created = (await tusRequest(`${base}/api/media/tus`, "POST", { ...auth(ann), ...length, ...meta }));
    assert.equal(created.status, 201);
    const again = (await tusRequest(`${base}/api/media/tus`, "POST", { ...auth(ann), ...length, ...meta }));
    assert.equal(again.status, 409, "a second creation would restart the bytes");
    const location = new URL(created.headers.location!, base).toString();
    assert.equal((await tusRequest(location, "HEAD", auth(bob))).status, 404);
    assert.equal((await tusRequest(location, "PATCH", { ...auth(bob), "content-type": "application/offset+octet-stream", "upload-offset": "0" }, Buffer.from("x"))).status, 404);
    const tooMuch = Buffer.concat([fx.mp4, Buffer.alloc(100)]);
    const over = (await tusRequest(location, "PATCH", { ...auth(ann), "content-type": "application/offset+octet-stream", "upload-offset": "0", "content-length": String(tooMuch.length) }, tooMuch));
    assert.ok(over.status === 413 || over.status === 400, `past Upload-Length: ${over.status}`);
    assert.equal((await services.media.get(ann.userId, target.upload.id)).status, "pending");
    const plain = await createUpload(base, ann.accessToken, { purpose: "chat", mimeType: "video/mp4", size: fx.mp4.length });
    const notResumable = (await tusRequest(`${base}/api/media/tus`, "POST", { ...auth(ann), ...length, "upload-metadata": metadata({ uploadId: plain.body.upload.id }) }));
    assert.equal(notResumable.status, 404);
  });
  // Parts exist only in the S3 store (the file store appends to one file).
  if (adapter === "s3") it("resumes a multi-part upload (8 MB parts) after the connection drops between parts, and the file becomes ready", async () => {
    const line = Buffer.from("a line of plain notes, sent in parts\n");
    const bytes = Buffer.concat(Array.from({ length: Math.ceil((20 * 1024 * 1024) / line.length) }, () => line));
    const created = await createUpload(base, ann.accessToken, { purpose: "file", mimeType: "text/plain", size: bytes.length, resumable: true, fileName: "notes.txt" });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.upload.id;
    const tus = await tusRequest(`${base}/api/media/tus`, "POST", { ...auth(ann), "upload-length": String(bytes.length), "upload-metadata": metadata(created.body.tus!.metadata) });
    assert.equal(tus.status, 201, tus.body);
    const location = new URL(tus.headers.location!, base).toString();
    const patchHeaders = { ...auth(ann), "content-type": "application/offset+octet-stream" };
    const first = 12 * 1024 * 1024;
    const patch = partialPatch(location, { ...patchHeaders, "upload-offset": "0", "content-length": String(bytes.length) }, bytes.subarray(0, first));
    const openParts = () => [...proxy!.parts.values()].find((parts) => parts.size > 0);
    await waitFor(async () => openParts() !== undefined, 30_000, "the first part to reach the bucket");
    patch.drop();
    await patch.ended;
    const parts = openParts()!;
    assert.deepEqual([...parts.keys()], [1]);
    assert.equal(parts.get(1)!.size, 8 * 1024 * 1024);
    let offset = 0;
    await waitFor(async () => {
      const head = await tusRequest(location, "HEAD", auth(ann));
      offset = Number(head.headers["upload-offset"]);
      return head.status === 200 && offset >= 8 * 1024 * 1024;
    }, 15_000, "HEAD to report the stored part");
    assert.ok(offset <= first, `offset ${offset}`);
    const rest = bytes.subarray(offset);
    const finished = await tusRequest(location, "PATCH", { ...patchHeaders, "upload-offset": String(offset), "content-length": String(rest.length) }, rest);
    assert.equal(finished.status, 204, finished.body);
    assert.equal(finished.headers["upload-offset"], String(bytes.length));
    assert.equal(openParts(), undefined, "the multipart upload is completed (ListParts would answer NoSuchUpload)");
    const upload = await settled(base, ann.accessToken, id, 60_000);
    assert.equal(upload.status, "ready", upload.failureReason);
    const served = await fetch(reachable((await services.media.urlsFor([id])).get(id)!.url));
    assert.ok(Buffer.from(await served.arrayBuffer()).equals(bytes), "the object is the bytes sent, in order");
  });
});
