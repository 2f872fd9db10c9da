import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { startApi, type ApiServer } from "../../api/server.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { JobRuntime, Services } from "../../shared/runtime/services.js";
import { startWorkers, type WorkerHost } from "../../workers/worker-host.js";
import { httpCall } from "../helpers/http.js";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { allKeys, atBase, createUpload, makeFixtures, settled, uploadBytes, createMediaTestStack, type Fixtures } from "./media-fixtures.js";

/** A raw PUT: `send` bytes after headers that may claim otherwise; `abort` drops the connection mid-body. */
function rawPut(url: string, headers: Record<string, string>, send: Buffer, abort = false): Promise<number | "aborted"> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: "PUT", headers }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
    });
    request.on("error", (error) => (abort ? resolve("aborted") : reject(error)));
    request.write(send);
    if (abort) setTimeout(() => request.destroy(), 100);
    else request.end();
  });
}

describe("media: bad input gets a clear error and stores nothing", function () {
  this.timeout(60_000);
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
    ({ platform, services, jobs } = await createMediaTestStack());
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
    await rm(dir, { recursive: true, force: true });
  });

  const keysOf = async (id: string) => (await allKeys(services)).filter((key) => key.includes(id));

  it("refuses claims that cannot be right before any byte is sent", async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ purpose: "chat", mimeType: "image/png", size: 0 }, 400, "VALIDATION_FAILED"],
      [{ purpose: "chat", mimeType: "image/png", size: 26 * 1024 * 1024 }, 413, "PAYLOAD_TOO_LARGE"],
      [{ purpose: "video", mimeType: "video/mp4", size: 5 * 1024 * 1024 * 1024 }, 413, "PAYLOAD_TOO_LARGE"],
      [{ purpose: "chat", mimeType: "text/html", size: 10 }, 415, "UNSUPPORTED_MEDIA_TYPE"],
      [{ purpose: "chat", mimeType: "image/svg+xml", size: 10 }, 415, "UNSUPPORTED_MEDIA_TYPE"],
      [{ purpose: "avatar", mimeType: "video/mp4", size: 10 }, 415, "UNSUPPORTED_MEDIA_TYPE"],
      [{ purpose: "file", mimeType: "application/pdf", size: 10, fileName: "../../etc/passwd" }, 400, "VALIDATION_FAILED"],
      [{ purpose: "file", mimeType: "application/pdf", size: 10, fileName: "..\\..\\boot.ini" }, 400, "VALIDATION_FAILED"],
      [{ purpose: "file", mimeType: "application/pdf", size: 10, fileName: ".." }, 400, "VALIDATION_FAILED"],
      [{ purpose: "file", mimeType: "application/pdf", size: 10, fileName: "a\u0000.pdf" }, 400, "VALIDATION_FAILED"],
      [{ purpose: "banner", mimeType: "image/png", size: 10 }, 400, "VALIDATION_FAILED"],
      [{ purpose: "chat", mimeType: "image/png", size: 10, ownerId: ann.userId }, 400, "VALIDATION_FAILED"],
      [{ purpose: "chat", mimeType: "image/png", size: 10, $where: "1" }, 400, "VALIDATION_FAILED"],
    ];
    const before = await allKeys(services);
    for (const [body, status, code] of cases) {
      const response = await createUpload(base, ann.accessToken, body);
      assert.equal(response.status, status, JSON.stringify(body));
      assert.equal(response.body.error?.code, code, JSON.stringify(body));
    }
    assert.deepEqual(await allKeys(services), before);
  });

  it("refuses a tampered, expired, mistyped, oversized or truncated PUT, and a reused URL", async () => {
    const created = (await createUpload(base, ann.accessToken, { purpose: "chat", mimeType: "image/png", size: fx.png.length })).body;
    const url = atBase(base, created.put!.url);
    const id = created.upload.id;
    const tampered = new URL(url);
    tampered.searchParams.set("X-Signature", `${tampered.searchParams.get("X-Signature")!.slice(0, -2)}AA`);
    const longer = new URL(url);
    longer.searchParams.set("X-Length", String(fx.png.length + 1000));
    const otherKey = new URL(url.replace(/\/source\?/, "/image.png?"));
    for (const [name, target, status] of [["tampered signature", tampered, 403], ["tampered length", longer, 403], ["signed for another key", otherKey, 403]] as const) {
      const response = await fetch(target, { method: "PUT", body: fx.png, headers: { "content-type": "image/png" } });
      assert.equal(response.status, status, name);
      assert.match(((await response.json()) as { error: { message: string } }).error.message, /signature|signed link/);
    }
    const key = `private/${ann.userId}/${id}/source`;
    const expired = atBase(base, await services.storage.signedUrl(key, { method: "PUT", expiresInSeconds: -5, contentType: "image/png", contentLength: fx.png.length }));
    const expiredResponse = await fetch(expired, { method: "PUT", body: fx.png, headers: { "content-type": "image/png" } });
    assert.equal(expiredResponse.status, 403);
    assert.match(await expiredResponse.text(), /expired/);
    assert.equal((await fetch(url, { method: "PUT", body: fx.png, headers: { "content-type": "image/jpeg" } })).status, 415);
    assert.equal(await rawPut(url, { "content-type": "image/png", "content-length": String(fx.png.length + 1) }, Buffer.concat([fx.png, Buffer.from("x")])), 413);
    // No Content-Length (chunked): the stream stops at the signed length.
    assert.equal(await rawPut(url, { "content-type": "image/png", "transfer-encoding": "chunked" }, Buffer.concat([fx.png, Buffer.alloc(64 * 1024)])), 413);
    // A dropped connection mid-body: nothing is stored and the upload is not complete.
    assert.equal(await rawPut(url, { "content-type": "image/png", "content-length": String(fx.png.length) }, fx.png.subarray(0, 20), true), "aborted");
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(await keysOf(id), []);
    const incomplete = await httpCall(base, "POST", `/api/media/uploads/${id}/complete`, { token: ann.accessToken });
    assert.equal(incomplete.status, 409);
    assert.equal(incomplete.body.error.code, "UPLOAD_INCOMPLETE");
    assert.equal((await httpCall(base, "GET", `/api/media/uploads/${id}`, { token: ann.accessToken })).body.upload.status, "pending");
    // The real upload works once; the same URL again is refused.
    assert.equal((await fetch(url, { method: "PUT", body: fx.png, headers: { "content-type": "image/png" } })).status, 200);
    const reused = await fetch(url, { method: "PUT", body: fx.png, headers: { "content-type": "image/png" } });
    assert.equal(reused.status, 409);
    assert.equal((await settled(base, ann.accessToken, id)).status, "ready");
  });

  it("refuses a PUT to an upload that has expired, and an empty body", async () => {
    const created = (await createUpload(base, ann.accessToken, { purpose: "chat", mimeType: "image/png", size: fx.png.length })).body;
    await services.maintenance.run("daily", new Date(Date.now() + 2 * 3600 * 1000));
    assert.equal((await httpCall(base, "GET", `/api/media/uploads/${created.upload.id}`, { token: ann.accessToken })).body.upload.status, "expired");
    const response = await fetch(atBase(base, created.put!.url), { method: "PUT", body: fx.png, headers: { "content-type": "image/png" } });
    assert.equal(response.status, 410);
    assert.deepEqual(await keysOf(created.upload.id), []);
    const empty = atBase(base, await services.storage.signedUrl(`private/${ann.userId}/x/empty`, { method: "PUT", expiresInSeconds: 60, contentType: "image/png", contentLength: 0 }));
    assert.equal((await fetch(empty, { method: "PUT", body: "", headers: { "content-type": "image/png" } })).status, 400);
  });

  it("fails spoofed, polyglot, bomb and broken files with a reason, and removes their objects", async () => {
    const truncatedMp4 = fx.mp4.subarray(0, Math.floor(fx.mp4.length / 3));
    const cases = [
      { name: "PNG bytes declared as JPEG", purpose: "chat", mimeType: "image/jpeg", bytes: fx.png, reason: /image\/png, not image\/jpeg/ },
      { name: "a web page declared as a PDF", purpose: "file", mimeType: "application/pdf", bytes: Buffer.from("<html><script>alert(1)</script></html>"), reason: /not of a known type/ },
      { name: "a video declared as audio", purpose: "chat", mimeType: "audio/mp4", bytes: fx.mp4, reason: /video/ },
      { name: "a PDF declared as an image", purpose: "chat", mimeType: "image/png", bytes: fx.pdf, reason: /application\/pdf/ },
      { name: "a decompression bomb", purpose: "chat", mimeType: "image/png", bytes: fx.bomb, reason: /pixels/ },
      { name: "a GIF/HTML polyglot", purpose: "chat", mimeType: "image/gif", bytes: fx.gifScript, reason: /image/ },
      { name: "a PDF/HTML polyglot", purpose: "file", mimeType: "application/pdf", bytes: fx.pdfHtml, reason: /markup/ },
      { name: "a truncated MP4", purpose: "chat", mimeType: "video/mp4", bytes: truncatedMp4, reason: /truncated|probed|no video|duration/ },
      { name: "a truncated PDF", purpose: "file", mimeType: "application/pdf", bytes: fx.pdf.subarray(0, 40), reason: /truncated/ },
      { name: "binary declared as text", purpose: "file", mimeType: "text/plain", bytes: Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe]), reason: /text/ },
    ];
    const uploads = await Promise.all(cases.map((c) => uploadBytes(base, ann.accessToken, c)));
    for (const [i, c] of cases.entries()) {
      assert.equal(uploads[i]!.putStatus, 200, c.name);
      const upload = await settled(base, ann.accessToken, uploads[i]!.id);
      assert.equal(upload.status, "failed", c.name);
      assert.match(upload.failureReason ?? "", c.reason, c.name);
      assert.deepEqual(await keysOf(upload.id), [], `${c.name}: objects removed`);
      await assert.rejects(services.media.resolveForOwner(ann.userId, upload.id, c.purpose as "chat"), { code: "MEDIA_NOT_READY" });
    }
  });

  it("re-encodes a JPEG/ZIP polyglot into a plain image", async () => {
    const { id } = await uploadBytes(base, ann.accessToken, { purpose: "chat", mimeType: "image/jpeg", bytes: fx.jpegZip });
    assert.equal((await settled(base, ann.accessToken, id)).status, "ready");
    const urls = (await services.media.urlsFor([id])).get(id)!;
    const stored = Buffer.from(await (await fetch(atBase(base, urls.url))).arrayBuffer());
    assert.equal(stored.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04])), -1, "no ZIP entry left");
    assert.equal(stored.indexOf(Buffer.from("<script")), -1);
  });

  it("refuses paths that try to leave the storage directory", async () => {
    for (const target of ["/media/%2e%2e/%2e%2e/etc/passwd", "/media/private/..%2f..%2f..%2fetc%2fpasswd", "/media/.meta/x.json", "/media/public/%00x"]) {
      const response = await fetch(`${base}${target}`);
      assert.ok(response.status === 404 || response.status === 400, `${target}: ${response.status}`);
    }
  });
});
