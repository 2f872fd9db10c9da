import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import express from "express";
import { mediaFilesRoutes } from "../../api/routes/media-files.routes.js";
import { errorHandler } from "../../api/middleware/error-handler.js";
import { LocalObjectStorage } from "../../shared/storage/local-storage.js";
import { StorageLengthError, StorageNotFoundError, type ObjectStorage } from "../../shared/storage/object-storage.js";
import { S3ObjectStorage } from "../../shared/storage/s3-storage.js";
import { UrlSigner } from "../../shared/storage/url-signature.js";
import { startS3Server, type TestS3Server } from "../helpers/s3-server.js";

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function keys(storage: ObjectStorage, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const object of storage.list(prefix)) found.push(object.key);
  return found.sort();
}

interface Adapter {
  storage: ObjectStorage;
  close(): Promise<void>;
}

/** The local adapter behind a tiny app serving its signed URLs, as the API does. */
async function localAdapter(): Promise<Adapter> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "cw-local-"));
  const signer = new UrlSigner("contract-test-secret-0123456789abcdef");
  const app = express();
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const storage = new LocalObjectStorage(dir, { signer, baseUrl: `${base}/media`, publicBaseUrl: `${base}/media` });
  app.use((req, _res, next) => {
    (req as unknown as { log: unknown }).log = { error: () => undefined };
    next();
  });
  app.use("/media", mediaFilesRoutes(storage, signer));
  app.use(errorHandler);
  return {
    storage,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function s3Adapter(): Promise<Adapter> {
  const s3: TestS3Server = await startS3Server();
  const storage = new S3ObjectStorage({
    bucket: s3.bucket,
    region: "us-east-1",
    endpoint: s3.endpoint,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
    publicBaseUrl: "https://cdn.example.test",
  });
  return { storage, close: () => s3.stop() };
}

for (const [name, make] of [
  ["local filesystem", localAdapter],
  ["S3 (s3rver)", s3Adapter],
] as const) {
  describe(`object storage contract: ${name}`, function () {
    let adapter: Adapter;
    let storage: ObjectStorage;
    before(async () => {
      adapter = await make();
      storage = adapter.storage;
    });
    after(() => adapter.close());

    it("puts, heads, gets and ranges an object", async () => {
      const body = Buffer.from("hello, object storage");
      const put = await storage.put("a/one.txt", body, { contentType: "text/plain", contentLength: body.length });
      assert.equal(put.size, body.length);
      assert.ok(put.etag.length > 2);
      const head = await storage.head("a/one.txt");
      assert.equal(head?.size, body.length);
      assert.equal(head?.contentType, "text/plain");
      assert.equal(head?.etag, put.etag);
      const whole = await storage.get("a/one.txt");
      assert.deepEqual(await readAll(whole.body), body);
      assert.equal(whole.size, body.length);
      const part = await storage.get("a/one.txt", { range: { start: 7, end: 12 } });
      assert.equal((await readAll(part.body)).toString(), "object");
      assert.equal(part.contentRange, `bytes 7-12/${body.length}`);
      assert.equal(part.size, body.length);
    });

    it("streams a body and refuses one of the wrong length, storing nothing", async () => {
      const stream = Readable.from([Buffer.alloc(1000, 1), Buffer.alloc(1000, 2)]);
      assert.equal((await storage.put("a/stream.bin", stream, { contentType: "application/octet-stream", contentLength: 2000 })).size, 2000);
      await assert.rejects(storage.put("a/long.bin", Readable.from([Buffer.alloc(3000)]), { contentType: "application/octet-stream", contentLength: 2000 }), StorageLengthError);
      await assert.rejects(storage.put("a/short.bin", Buffer.alloc(10), { contentType: "application/octet-stream", contentLength: 20 }), StorageLengthError);
      assert.equal(await storage.head("a/long.bin"), null);
      assert.equal(await storage.head("a/short.bin"), null);
    });

    it("puts a file, lists by prefix, deletes one and a prefix", async () => {
      const file = path.join(os.tmpdir(), `cw-put-${process.pid}.bin`);
      await writeFile(file, Buffer.alloc(4096, 7));
      await storage.putFile("b/x/1.bin", file, { contentType: "application/octet-stream" });
      await storage.put("b/x/2.bin", Buffer.from("2"), { contentType: "application/octet-stream" });
      await storage.put("b/y.bin", Buffer.from("3"), { contentType: "application/octet-stream" });
      await rm(file, { force: true });
      assert.deepEqual(await keys(storage, "b/"), ["b/x/1.bin", "b/x/2.bin", "b/y.bin"]);
      assert.deepEqual(await keys(storage, "b/x/"), ["b/x/1.bin", "b/x/2.bin"]);
      assert.equal((await storage.head("b/x/1.bin"))?.size, 4096);
      await storage.delete("b/y.bin");
      await storage.delete("b/never-there.bin");
      assert.equal(await storage.deletePrefix("b/x/"), 2);
      assert.deepEqual(await keys(storage, "b/"), []);
    });

    it("reports a missing object", async () => {
      assert.equal(await storage.head("nope/missing"), null);
      await assert.rejects(storage.get("nope/missing"), StorageNotFoundError);
    });

    it("refuses keys that could escape", async () => {
      for (const key of ["../etc/passwd", "/abs", "a/../../b", "a//b", ".meta/x", "a/./b", "a\\b", "a/b%2f", ""]) {
        await assert.rejects(storage.put(key, Buffer.from("x"), { contentType: "text/plain" }), /Invalid object key/, key);
      }
    });

    it("signs a PUT URL that accepts the upload and a GET URL that serves it with its headers", async () => {
      const body = Buffer.from("%PDF-1.4 signed body");
      const putUrl = await storage.signedUrl("c/doc.pdf", { method: "PUT", expiresInSeconds: 60, contentType: "application/pdf", contentLength: body.length });
      const put = await fetch(putUrl, { method: "PUT", body, headers: { "content-type": "application/pdf" } });
      assert.equal(put.status, 200, await put.clone().text());
      const getUrl = await storage.signedUrl("c/doc.pdf", { method: "GET", expiresInSeconds: 60, disposition: 'attachment; filename="doc.pdf"' });
      const got = await fetch(getUrl);
      assert.equal(got.status, 200);
      assert.equal(got.headers.get("content-type"), "application/pdf");
      assert.equal(got.headers.get("content-disposition"), 'attachment; filename="doc.pdf"');
      assert.ok(got.headers.get("etag"));
      assert.deepEqual(Buffer.from(await got.arrayBuffer()), body);
      const ranged = await fetch(getUrl, { headers: { range: "bytes=0-3" } });
      assert.equal(ranged.status, 206);
      assert.equal(await ranged.text(), "%PDF");
      const cached = await fetch(getUrl, { headers: { "if-none-match": got.headers.get("etag")! } });
      assert.equal(cached.status, 304);
    });

    it("gives stable public URLs", () => {
      const url = storage.publicUrl("public/u/1/thumb.webp");
      assert.match(url, /^https?:\/\/.+\/public\/u\/1\/thumb\.webp$/);
      assert.equal(storage.publicUrl("public/u/1/thumb.webp"), url);
    });
  });
}
