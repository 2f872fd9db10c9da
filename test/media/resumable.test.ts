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
import { createTestUser, type TestUser } from "../helpers/users.js";
import { allKeys, createUpload, makeFixtures, settled, createMediaTestStack, type Fixtures } from "./media-fixtures.js";
import { metadata, partialPatch, tusRequest } from "./tus-client.js";

describe("media: resumable uploads (tus 1.0 at /api/media/tus)", function () {
  this.timeout(60_000);
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
    ({ platform, services, jobs } = await createMediaTestStack());
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
    await rm(dir, { recursive: true, force: true });
  });

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
    const served = await fetch(`${base}${new URL(urls.url).pathname}${new URL(urls.url).search}`);
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
});
