import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { startApi, type ApiServer } from "../../api/server.js";
import { startGateway, type Gateway } from "../../gateway/server.js";
import type { MediaStatusEvent } from "../../shared/media/media.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { JobRuntime, Services } from "../../shared/runtime/services.js";
import { startWorkers, type WorkerHost } from "../../workers/worker-host.js";
import { httpCall } from "../helpers/http.js";
import { connectSocket, type ClientSocket } from "../helpers/sockets.js";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { allKeys, atBase, makeFixtures, settled, uploadBytes, createMediaTestStack, type Fixtures } from "./media-fixtures.js";

async function bytesOf(url: string): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const response = await fetch(url);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()), headers: response.headers };
}

describe("media uploads: signed PUT → checks → ready", function () {
  this.timeout(60_000);
  let platform: Platform;
  let services: Services;
  let jobs: JobRuntime;
  let api: ApiServer;
  let gateway: Gateway;
  let workers: WorkerHost;
  let base: string;
  let ann: TestUser;
  let dir: string;
  let fx: Fixtures;
  const sockets: ClientSocket[] = [];

  before(async () => {
    ({ platform, services, jobs } = await createMediaTestStack());
    [api, gateway, workers] = await Promise.all([startApi(platform, services, 0), startGateway(platform, services, 0), startWorkers(platform, jobs, 0)]);
    base = `http://127.0.0.1:${api.port}`;
    ann = await createTestUser(services);
    dir = await mkdtemp(path.join(os.tmpdir(), "cw-fx-"));
    fx = await makeFixtures(dir);
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    await workers.close(1000);
    await Promise.all([api.close(), gateway.close()]);
    await platform.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("an image becomes ready with dimensions, a checksum, WebP variants and no EXIF/GPS, and the uploader's devices hear each status", async () => {
    const socket = await connectSocket(`http://127.0.0.1:${gateway.port}`, ann.accessToken);
    sockets.push(socket);
    const events: MediaStatusEvent[] = [];
    socket.on("media:status", (event) => events.push(event));
    assert.ok((await sharp(fx.jpegWithExif).metadata()).exif, "the fixture carries EXIF");
    const { id, putStatus } = await uploadBytes(base, ann.accessToken, { purpose: "chat", mimeType: "image/jpeg", bytes: fx.jpegWithExif });
    assert.equal(putStatus, 200);
    const upload = await settled(base, ann.accessToken, id);
    assert.equal(upload.status, "ready", upload.failureReason);
    assert.equal(upload.metadata.width, 64);
    assert.equal(upload.metadata.height, 48);
    assert.match(upload.metadata.checksum ?? "", /^[0-9a-f]{64}$/);
    assert.deepEqual(upload.variants.sort(), ["display", "thumbnail"]);
    const urls = (await services.media.urlsFor([id])).get(id)!;
    const main = await bytesOf(atBase(base, urls.url));
    assert.equal(main.status, 200);
    assert.equal(main.headers.get("content-type"), "image/jpeg");
    const meta = await sharp(main.body).metadata();
    assert.equal(meta.exif, undefined, "EXIF (with GPS) is gone");
    assert.equal(meta.width, 64);
    const thumb = await bytesOf(atBase(base, urls.thumbnailUrl!));
    assert.equal((await sharp(thumb.body).metadata()).format, "webp");
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(events.filter((e) => e.id === id).map((e) => e.status), ["uploaded", "processing", "ready"]);
    // Only the processed objects are stored: the uploaded original (with its EXIF) is gone.
    assert.deepEqual((await allKeys(services)).filter((key) => key.includes(id)).map((key) => key.split("/").pop()).sort(), ["display.webp", "image.jpg", "thumbnail.webp"]);
  });

  it("a video, an audio file and a PDF become ready with what ffprobe and the bytes say", async () => {
    const cases = [
      { purpose: "chat", mimeType: "video/mp4", bytes: fx.mp4, check: (m: Record<string, unknown>) => m.width === 160 && m.height === 120 && m.videoCodec === "h264" && m.audioCodec === "aac" },
      { purpose: "chat", mimeType: "audio/mpeg", bytes: fx.mp3, check: (m: Record<string, unknown>) => m.audioCodec === "mp3" && m.width === undefined },
      { purpose: "chat", mimeType: "audio/mp4", bytes: fx.m4a, check: (m: Record<string, unknown>) => m.audioCodec === "aac" },
      { purpose: "chat", mimeType: "audio/wav", bytes: fx.wav, check: (m: Record<string, unknown>) => m.audioCodec === "pcm_s16le" },
      { purpose: "file", mimeType: "application/pdf", bytes: fx.pdf, fileName: "report 2026.pdf", check: () => true },
      { purpose: "file", mimeType: "text/plain", bytes: fx.text, fileName: "notes.txt", check: () => true },
    ];
    const ids = await Promise.all(cases.map((c) => uploadBytes(base, ann.accessToken, c)));
    for (const [i, c] of cases.entries()) {
      const upload = await settled(base, ann.accessToken, ids[i]!.id);
      assert.equal(upload.status, "ready", `${c.mimeType}: ${upload.failureReason}`);
      assert.ok(c.check(upload.metadata as Record<string, unknown>), `${c.mimeType}: ${JSON.stringify(upload.metadata)}`);
      if (c.mimeType.startsWith("video") || c.mimeType.startsWith("audio")) assert.ok(upload.metadata.durationSeconds! > 0.4 && upload.metadata.durationSeconds! < 1.5);
      assert.match(upload.metadata.checksum ?? "", /^[0-9a-f]{64}$/);
    }
    const pdf = (await services.media.urlsFor([ids[4]!.id])).get(ids[4]!.id)!;
    const served = await bytesOf(atBase(base, pdf.url));
    assert.deepEqual(served.body, fx.pdf);
    assert.equal(served.headers.get("content-disposition"), `attachment; filename="report 2026.pdf"; filename*=UTF-8''report%202026.pdf`);
    assert.equal(served.headers.get("x-content-type-options"), "nosniff");
    const ranged = await fetch(atBase(base, pdf.url), { headers: { range: "bytes=0-4" } });
    assert.equal(ranged.status, 206);
    assert.equal(await ranged.text(), "%PDF-");
  });

  it("public media (avatars) gets stable URLs served without a signature; private media needs one", async () => {
    const { id } = await uploadBytes(base, ann.accessToken, { purpose: "avatar", mimeType: "image/png", bytes: fx.png });
    assert.equal((await settled(base, ann.accessToken, id)).status, "ready");
    const urls = (await services.media.urlsFor([id])).get(id)!;
    assert.equal(urls.expiresAt, undefined);
    assert.match(urls.url, new RegExp(`/media/public/${ann.userId}/${id}/image\\.png$`));
    const served = await bytesOf(atBase(base, urls.url));
    assert.equal(served.status, 200);
    assert.match(served.headers.get("cache-control") ?? "", /public/);
    const resolved = await services.media.resolveForOwner(ann.userId, id, "avatar");
    assert.equal(resolved.status, "ready");
    const chatUpload = await uploadBytes(base, ann.accessToken, { purpose: "chat", mimeType: "image/png", bytes: fx.png });
    await settled(base, ann.accessToken, chatUpload.id);
    const signed = (await services.media.urlsFor([chatUpload.id])).get(chatUpload.id)!;
    const unsigned = new URL(atBase(base, signed.url));
    unsigned.search = "";
    assert.equal((await fetch(unsigned)).status, 403);
  });

  it("completion is idempotent and a foreign user cannot see or complete an upload", async () => {
    const { id } = await uploadBytes(base, ann.accessToken, { purpose: "chat", mimeType: "image/gif", bytes: fx.gif });
    const done = await httpCall(base, "POST", `/api/media/uploads/${id}/complete`, { token: ann.accessToken });
    assert.equal(done.status, 200);
    assert.equal((await settled(base, ann.accessToken, id)).status, "ready");
    assert.equal((await httpCall(base, "POST", `/api/media/uploads/${id}/complete`, { token: ann.accessToken })).body.upload.status, "ready");
    const bob = await createTestUser(services);
    assert.equal((await httpCall(base, "GET", `/api/media/uploads/${id}`, { token: bob.accessToken })).status, 404);
    assert.equal((await httpCall(base, "POST", `/api/media/uploads/${id}/complete`, { token: bob.accessToken })).status, 404);
    assert.equal((await httpCall(base, "GET", `/api/media/uploads/${id}`)).status, 401);
    await assert.rejects(services.media.resolveForOwner(bob.userId, id, "chat"), { code: "MEDIA_NOT_FOUND" });
    await assert.rejects(services.media.resolveForOwner(ann.userId, id, "avatar"), { code: "VALIDATION_FAILED" });
  });
});
