/**
 * `npm run bench:media`: uploads through the API's signed-PUT route (local
 * storage adapter, in its own process) against a plain copy of the same bytes.
 *   (a) throughput of a BENCH_MEDIA_MB (default 512) MB upload vs a stream copy
 *       and vs fs.copyFile of the same file (median of 3), as ratios;
 *   (b) the server's peak RSS while a 1 GB body streams through it, above idle.
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { copyFile, mkdtemp, open, rm, stat } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { LocalObjectStorage } from "../../shared/storage/local-storage.js";
import { UrlSigner } from "../../shared/storage/url-signature.js";

const MB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_MEDIA_MB ?? 512) * MB;
const STREAM_SIZE = 1024 * MB;
const RUNS = 3;
const here = path.dirname(fileURLToPath(import.meta.url));
const secret = randomBytes(32).toString("hex");

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rate = (bytes: number, ms: number) => `${((bytes / MB) / (ms / 1000)).toFixed(0)} MB/s`;

function ask<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string } & T) => {
      if (message.type !== type) return;
      child.off("message", onMessage);
      resolve(message);
    };
    child.on("message", onMessage);
    child.send({ type });
  });
}

/** PUTs `source` (a file path or a byte count streamed from memory) to a signed URL; resolves with the status. */
function put(url: string, size: number, source: string | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: "PUT", headers: { "content-type": "application/octet-stream", "content-length": String(size) } }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
    });
    request.on("error", reject);
    if (source) {
      createReadStream(source, { highWaterMark: MB }).pipe(request);
      return;
    }
    const chunk = randomBytes(MB);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!request.write(chunk)) return void request.once("drain", pump);
      }
      request.end();
    };
    pump();
  });
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), "cw-bench-media-"));
  const storageDir = path.join(work, "objects");
  const signer = new UrlSigner(secret);
  const child = fork(path.join(here, "media-server.ts"), [storageDir, secret], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  try {
    const { base } = await new Promise<{ base: string }>((resolve) => child.once("message", (m) => resolve(m as { base: string })));
    const storage = new LocalObjectStorage(storageDir, { signer, baseUrl: `${base}/media`, publicBaseUrl: `${base}/media` });
    const source = path.join(work, "source.bin");
    const handle = await open(source, "w");
    for (let written = 0; written < SIZE; written += 8 * MB) await handle.write(randomBytes(8 * MB));
    await handle.close();
    const size = (await stat(source)).size;

    const upload: number[] = [];
    const streamCopy: number[] = [];
    const fsCopy: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const url = await storage.signedUrl(`bench/upload-${i}`, { method: "PUT", expiresInSeconds: 600, contentType: "application/octet-stream", contentLength: size });
      upload.push(await timed(async () => {
        const status = await put(url, size, source);
        if (status !== 200) throw new Error(`upload answered ${status}`);
      }));
      streamCopy.push(await timed(() => pipeline(createReadStream(source, { highWaterMark: MB }), createWriteStream(path.join(work, `copy-${i}`)))));
      fsCopy.push(await timed(() => copyFile(source, path.join(work, `fscopy-${i}`))));
      await Promise.all([storage.delete(`bench/upload-${i}`), rm(path.join(work, `copy-${i}`)), rm(path.join(work, `fscopy-${i}`))]);
    }
    const [u, s, c] = [median(upload), median(streamCopy), median(fsCopy)];
    console.log(`(a) ${size / MB} MB, median of ${RUNS}:`);
    console.log(`    upload through the API (signed PUT, local adapter): ${u.toFixed(0)} ms, ${rate(size, u)}`);
    console.log(`    stream copy of the same file:                       ${s.toFixed(0)} ms, ${rate(size, s)}  → ratio ${(s / u).toFixed(2)}x`);
    console.log(`    fs.copyFile of the same file:                       ${c.toFixed(0)} ms, ${rate(size, c)}  → ratio ${(c / u).toFixed(2)}x`);
    await rm(source);

    const idle = (await ask<{ rss: number }>(child, "reset")).rss;
    const bigUrl = await storage.signedUrl("bench/stream-1g", { method: "PUT", expiresInSeconds: 600, contentType: "application/octet-stream", contentLength: STREAM_SIZE });
    const ms = await timed(async () => {
      const status = await put(bigUrl, STREAM_SIZE, null);
      if (status !== 200) throw new Error(`1 GB upload answered ${status}`);
    });
    const { peak } = await ask<{ peak: number }>(child, "rss");
    console.log(`(b) 1 GB streamed through the API in ${ms.toFixed(0)} ms (${rate(STREAM_SIZE, ms)}):`);
    console.log(`    server RSS idle ${(idle / MB).toFixed(1)} MB, peak ${(peak / MB).toFixed(1)} MB, +${((peak - idle) / MB).toFixed(1)} MB above idle`);
  } finally {
    child.send({ type: "stop" });
    await new Promise((resolve) => child.once("exit", resolve));
    await rm(work, { recursive: true, force: true });
  }
}

await main();
