import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";
import type { MediaStatus, MediaUploadView, UploadTarget } from "../../shared/media/media.types.js";
import { loadConfig } from "../../shared/config/config.js";
import { createLogger } from "../../shared/logging/logger.js";
import { createPlatform, type Platform } from "../../shared/runtime/platform.js";
import { composeModules, type JobRuntime, type Services } from "../../shared/runtime/services.js";
import { startApi } from "../../api/server.js";
import { createTestPlatform } from "../helpers/platform.js";
import { testEnv } from "../helpers/test-env.js";
import { httpCall } from "../helpers/http.js";
import { waitFor } from "../helpers/ports.js";

const run = promisify(execFile);

/** Tiny files of every kind, generated (images with sharp, audio/video with ffmpeg's lavfi sources). */
export interface Fixtures {
  png: Buffer;
  /** A JPEG carrying EXIF with GPS coordinates and a camera name. */
  jpegWithExif: Buffer;
  gif: Buffer;
  mp4: Buffer;
  mp3: Buffer;
  m4a: Buffer;
  wav: Buffer;
  pdf: Buffer;
  text: Buffer;
  /** A PNG whose header claims 30,000 x 30,000 pixels (a decompression bomb) in a few hundred bytes. */
  bomb: Buffer;
  /** A JPEG with a ZIP archive appended (a JPEG/ZIP polyglot). */
  jpegZip: Buffer;
  /** GIF magic bytes followed by a script: a GIF/HTML polyglot that is no image. */
  gifScript: Buffer;
  /** A PDF with an HTML page in its first bytes. */
  pdfHtml: Buffer;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

function bombPng(side: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  // Only a few rows of the claimed image: a decoder that trusted the header would allocate it all.
  const rows = Buffer.alloc((side + 1) * 4);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk("IHDR", header), pngChunk("IDAT", deflateSync(rows)), pngChunk("IEND", Buffer.alloc(0))]);
}

const MINIMAL_PDF = `%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj
trailer << /Root 1 0 R >>
%%EOF
`;

let cached: Fixtures | undefined;

export async function makeFixtures(dir: string): Promise<Fixtures> {
  if (cached) return cached;
  const ffmpeg = async (name: string, args: string[]): Promise<Buffer> => {
    const out = path.join(dir, name);
    await run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args, out]);
    return readFile(out);
  };
  const colourful = () =>
    sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 40, b: 90 } } }).composite([
      { input: { create: { width: 20, height: 20, channels: 3, background: { r: 10, g: 200, b: 10 } } }, left: 5, top: 5 },
    ]);
  const [png, jpegWithExif, gif, mp4, mp3, m4a, wav] = await Promise.all([
    colourful().png().toBuffer(),
    colourful()
      .jpeg()
      .withExif({ IFD0: { Make: "TestCam", Model: "Secret Model 9000" }, IFD3: { GPSLatitudeRef: "N", GPSLatitude: "51/1 30/1 0/1", GPSLongitudeRef: "W", GPSLongitude: "0/1 7/1 0/1" } })
      .toBuffer(),
    colourful().gif().toBuffer(),
    ffmpeg("v.mp4", ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-movflags", "+faststart"]),
    ffmpeg("a.mp3", ["-f", "lavfi", "-i", "sine=frequency=440", "-t", "1", "-c:a", "libmp3lame", "-b:a", "32k"]),
    ffmpeg("a.m4a", ["-f", "lavfi", "-i", "sine=frequency=440", "-t", "1", "-c:a", "aac", "-b:a", "32k"]),
    ffmpeg("a.wav", ["-f", "lavfi", "-i", "sine=frequency=440", "-t", "0.5", "-ar", "8000", "-c:a", "pcm_s16le"]),
  ]);
  const zipEntry = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(26), Buffer.from("evil.html<script>alert(1)</script>")]);
  cached = {
    png,
    jpegWithExif,
    gif,
    mp4,
    mp3,
    m4a,
    wav,
    pdf: Buffer.from(MINIMAL_PDF),
    text: Buffer.from("plain notes\nsecond line\n"),
    bomb: bombPng(30_000),
    jpegZip: Buffer.concat([jpegWithExif, zipEntry]),
    gifScript: Buffer.from("GIF89a/*\u0000\u0000*/=1;<script>alert(document.cookie)</script>"),
    pdfHtml: Buffer.from(`%PDF-1.4\n<html><body><script>alert(1)</script></body></html>\n${MINIMAL_PDF}`),
  };
  return cached;
}

/** A signed URL of the API with the test server's origin (PUBLIC_URL is not the random test port). */
export function atBase(base: string, url: string): string {
  const parsed = new URL(url);
  return `${base}${parsed.pathname}${parsed.search}`;
}

export async function createUpload(base: string, token: string, body: Record<string, unknown>) {
  return httpCall<UploadTarget & { error?: { code: string; message: string } }>(base, "POST", "/api/media/uploads", { token, body });
}

/** Creates an upload and PUTs its bytes to the signed URL; returns the upload id and the PUT's status. */
export async function uploadBytes(base: string, token: string, input: { purpose: string; mimeType: string; bytes: Buffer; fileName?: string }): Promise<{ id: string; putStatus: number; target: UploadTarget }> {
  const created = await createUpload(base, token, { purpose: input.purpose, mimeType: input.mimeType, size: input.bytes.length, ...(input.fileName ? { fileName: input.fileName } : {}) });
  if (created.status !== 201 || !created.body.put) throw new Error(`upload not created: ${created.status} ${JSON.stringify(created.body)}`);
  const put = await fetch(atBase(base, created.body.put.url), { method: "PUT", body: input.bytes, headers: created.body.put.headers });
  await put.arrayBuffer();
  return { id: created.body.upload.id, putStatus: put.status, target: created.body };
}

const FINAL: readonly MediaStatus[] = ["ready", "failed", "expired"];

/** Polls the upload until it reaches a final status. */
export async function settled(base: string, token: string, id: string, timeoutMs = 20_000): Promise<MediaUploadView> {
  let upload: MediaUploadView | undefined;
  await waitFor(async () => {
    upload = (await httpCall<{ upload: MediaUploadView }>(base, "GET", `/api/media/uploads/${id}`, { token })).body.upload;
    return FINAL.includes(upload.status);
  }, timeoutMs, `upload ${id} to settle`);
  return upload!;
}

/** A ready upload of `ownerId` (a chat one by default), made through the service without HTTP (for other domains' tests). */
export async function readyUpload(services: Services, ownerId: string, bytes: Buffer, mimeType: string, purpose: "chat" | "avatar" | "post" | "video" = "chat", fileName?: string): Promise<MediaUploadView> {
  const target = await services.media.createUpload(ownerId, { purpose, mimeType, size: bytes.length, ...(fileName ? { fileName } : {}) });
  const key = `private/${ownerId}/${target.upload.id}/source`;
  await services.storage.put(key, bytes, { contentType: mimeType, contentLength: bytes.length });
  await services.media.complete(ownerId, target.upload.id);
  await services.media.process(target.upload.id);
  return services.media.get(ownerId, target.upload.id);
}

/** Every key under the media prefixes. */
export async function allKeys(services: Services): Promise<string[]> {
  const keys: string[] = [];
  for (const prefix of ["private/", "public/", "tus/"]) for await (const object of services.storage.list(prefix)) keys.push(object.key);
  return keys.sort();
}

/** Stores, services and the job runtime of one composition (so in-process workers share the services' instances). */
export async function createMediaTestStack(env: Record<string, string> = {}): Promise<{ platform: Platform; services: Services; jobs: JobRuntime }> {
  const config = loadConfig({ ...process.env, ...env });
  const platform = await createPlatform(config, createLogger(config).child({ role: "test" }), testEnv.mongoUrl);
  const composition = composeModules(platform);
  return { platform, services: composition.services, jobs: composition.jobs };
}

/** An in-process platform and API, with a directory of generated media fixtures: what the API tests of media users share. */
export interface MediaApiStack {
  platform: Platform;
  services: Services;
  /** The API's base URL. */
  base: string;
  fx: Fixtures;
  close(): Promise<void>;
}

export async function startMediaApiStack(): Promise<MediaApiStack> {
  const { platform, services } = await createTestPlatform();
  const api = await startApi(platform, services, 0);
  const dir = await mkdtemp(path.join(os.tmpdir(), "cw-fx-"));
  return {
    platform,
    services,
    base: `http://127.0.0.1:${api.port}`,
    fx: await makeFixtures(dir),
    async close() {
      await api.close();
      await platform.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
