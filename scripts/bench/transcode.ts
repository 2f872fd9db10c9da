/**
 * `npm run bench:transcode`: the video pipeline on a 20 s 1080p30 clip, in one run:
 *
 * 1. the same single-pass ladder command the pipeline builds, run directly with ffmpeg — once
 *    first and once again after the pipeline, the baseline being their mean (on a shared machine
 *    the load moves between the start and the end of a run);
 * 2. four separate ffmpeg runs, one per rung, each decoding the source again (PeerTube's way);
 * 3. the pipeline through the real upload path: a media upload of purpose `video` is created, the
 *    video is created (`uploading`), the bytes are PUT to the API's signed URL, a media worker
 *    checks them and announces `media.upload-ready`, the video becomes `uploaded` and a separate
 *    transcode worker process takes it to `ready` (claim, the source read in place from the local
 *    object store, one-pass encode, validation of every rung, upload of the version, the
 *    publishing write). Measured from the video's `uploadedAt` to its ready write.
 *
 * Prints wall times, the ratios against the two baselines (targets: ≤ 1.15× the direct pass,
 * ≤ 0.8× the four runs) and the transcode worker's peak RSS (ffmpeg is its own process, so not
 * included; target < 200 MB). BENCH_PRESET (default veryfast) and BENCH_SECONDS (default 20) adjust it.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createLogger } from "../../shared/logging/logger.js";
import { createPlatform } from "../../shared/runtime/platform.js";
import { composeModules } from "../../shared/runtime/services.js";
import { buildLadderArgs, planOutputs, probeSource } from "../../shared/videos/transcoder.js";
import { VideoRepository } from "../../shared/videos/video.repository.js";
import type { VideoDoc } from "../../shared/videos/video.types.js";
import { BenchStack, until } from "./gateway-stack.js";

const preset = process.env.BENCH_PRESET ?? "veryfast";
const seconds = Number(process.env.BENCH_SECONDS ?? 20);

function ffmpeg(args: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn("ffmpeg", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`ffmpeg exited ${code}: ${stderr}`))));
  });
}

/** CPU seconds (user + system) of a process itself and of its reaped children (ffmpeg, ffprobe), from /proc (100 ticks/s). */
async function cpuOf(pid: number): Promise<{ self: number; children: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  return { self: (fields[11]! + fields[12]!) / 100, children: (fields[13]! + fields[14]!) / 100 };
}

/** CPU seconds this process's children used while `work` ran (less sensitive to the machine's load than wall time). */
async function childCpu<T>(work: () => Promise<T>): Promise<{ result: T; cpu: number }> {
  const before = await cpuOf(process.pid);
  const result = await work();
  return { result, cpu: (await cpuOf(process.pid)).children - before.children };
}

async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

const dir = await mkdtemp(path.join(tmpdir(), "cw-bench-transcode-"));
const stack = new BenchStack();
try {
  const source = path.join(dir, "source.mp4");
  console.log(`generating a ${seconds} s 1080p30 clip (testsrc2 + sine)...`);
  await ffmpeg(["-v", "error", "-y", "-f", "lavfi", "-i", `testsrc2=s=1920x1080:r=30:d=${seconds}`, "-f", "lavfi", "-i", `sine=f=440:sample_rate=48000:d=${seconds}`, "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p", "-c:a", "aac", "-t", String(seconds), source]);
  const probe = await probeSource(source, { maxDimension: 4096, maxDurationSeconds: 3600, minDurationSeconds: 1 });
  const plan = planOutputs(probe);
  console.log(`ladder: ${plan.rungs.map((r) => `${r.name} ${r.width}x${r.height} ${r.videoKbps}k`).join(", ")}; preset ${preset}`);

  const directPass = (out: string) => ffmpeg(buildLadderArgs(source, path.join(dir, out), plan, { preset, threads: 0 }).filter((arg) => arg !== "pipe:1").map((arg) => (arg === "-progress" ? "-nostats" : arg)));
  const { result: directFirst, cpu: directFirstCpu } = await childCpu(() => directPass("direct"));
  console.log(`direct single pass: ${directFirst.toFixed(1)} s (CPU ${directFirstCpu.toFixed(1)} s)`);

  let four = 0;
  const fourCpuBefore = await cpuOf(process.pid);
  for (const rung of plan.rungs) {
    const out = path.join(dir, "four", rung.name);
    await mkdir(out, { recursive: true });
    four += await ffmpeg([
      "-v", "error", "-y", "-i", source,
      "-vf", `fps=${plan.fps},scale=${rung.width}:${rung.height}`,
      "-c:v", "libx264", "-preset", preset, "-profile:v", "high", "-b:v", `${rung.videoKbps}k`, "-maxrate", `${rung.maxKbps}k`, "-bufsize", `${rung.bufferKbits}k`,
      "-g", String(plan.fps * 2), "-keyint_min", String(plan.fps * 2), "-sc_threshold", "0", "-force_key_frames", "expr:gte(t,n_forced*2)",
      "-c:a", "aac", "-b:a", "128k", "-ac", "2",
      "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-hls_segment_filename", path.join(out, "seg_%04d.ts"), path.join(out, "index.m3u8"),
    ]);
  }
  const fourCpu = (await cpuOf(process.pid)).children - fourCpuBefore.children;
  console.log(`four runs (one per rung): ${four.toFixed(1)} s (CPU ${fourCpu.toFixed(1)} s)`);

  await stack.start({ MEDIA_STORAGE: "local", MEDIA_LOCAL_DIR: path.join(dir, "objects"), VIDEO_WORK_DIR: path.join(dir, "work"), VIDEO_TRANSCODE_PRESET: preset, LOG_LEVEL: "error" });
  // The API takes the signed PUT; one worker checks uploads (media) and delivers events; the transcode worker is measured alone.
  const [api, , worker] = await Promise.all([
    stack.spawn("api/main.ts", "API_PORT"),
    stack.spawn("workers/main.ts", "WORKER_PORT", { WORKER_QUEUES: "media,events" }),
    stack.spawn("workers/main.ts", "WORKER_PORT", { WORKER_QUEUES: "transcode" }),
  ]);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const idleRss = await peakRss(worker.child.pid!);
  const workerCpuBefore = await cpuOf(worker.child.pid!);
  const platform = await createPlatform(stack.config, createLogger(stack.config).child({ role: "bench" }), stack.mongoUrl);
  try {
    const { services } = composeModules(platform);
    const userId = randomUUID();
    const bytes = await readFile(source);
    const target = await services.media.createUpload(userId, { purpose: "video", mimeType: "video/mp4", size: bytes.length });
    const created = await services.videos.videos.create(userId, { uploadId: target.upload.id, type: "long", title: "Benchmark", description: "", tags: [], privacy: "public" });
    if (created.status !== "uploading") throw new Error(`expected an uploading video, got ${created.status}`);
    const signed = new URL(target.put!.url);
    const putStarted = performance.now();
    const put = await fetch(`${api.url}${signed.pathname}${signed.search}`, { method: "PUT", body: bytes, headers: target.put!.headers });
    await put.arrayBuffer();
    if (!put.ok) throw new Error(`the signed PUT answered ${put.status}`);
    const putSeconds = (performance.now() - putStarted) / 1000;
    const putDone = new Date();
    const repository = new VideoRepository(platform.mongo.db);
    let video: VideoDoc | null = null;
    await until(async () => {
      video = await repository.findById(created.id);
      return video?.status === "ready" || video?.status === "failed";
    }, 15 * 60_000, "the video to be ready");
    const done = video as VideoDoc | null;
    if (done?.status !== "ready" || !done.uploadedAt) throw new Error(`the video ended ${done?.status}: ${done?.failureReason}`);
    // Both instants are written by the workers: uploadedAt by the media upload-ready subscriber, updatedAt by the ready write.
    const pipeline = (done.updatedAt.getTime() - done.uploadedAt.getTime()) / 1000;
    const check = (done.uploadedAt.getTime() - putDone.getTime()) / 1000;
    const rss = await peakRss(worker.child.pid!);
    const workerCpuAfter = await cpuOf(worker.child.pid!);
    const pipelineCpu = workerCpuAfter.self + workerCpuAfter.children - workerCpuBefore.self - workerCpuBefore.children;
    console.log(`upload: signed PUT ${putSeconds.toFixed(1)} s (${(bytes.length / 1048576).toFixed(1)} MB); media check → upload-ready → video uploaded ${check.toFixed(1)} s`);
    console.log(`pipeline uploaded → ready: ${pipeline.toFixed(1)} s (transcode worker peak RSS ${(rss / 1048576).toFixed(0)} MB, ffmpeg excluded; ${(idleRss / 1048576).toFixed(0)} MB before the job)`);
    const { result: directAgain, cpu: directAgainCpu } = await childCpu(() => directPass("direct-again"));
    const direct = (directFirst + directAgain) / 2;
    const directCpu = (directFirstCpu + directAgainCpu) / 2;
    console.log(`direct single pass again: ${directAgain.toFixed(1)} s (CPU ${directAgainCpu.toFixed(1)} s; mean of the two: ${direct.toFixed(1)} s, CPU ${directCpu.toFixed(1)} s)`);
    console.log("");
    const verdict = (ok: boolean) => (ok ? "ok" : "MISSED");
    console.log(`pipeline / direct single pass: ${(pipeline / direct).toFixed(2)}× (target ≤ 1.15×) ${verdict(pipeline / direct <= 1.15)}`);
    console.log(`pipeline / four runs:          ${(pipeline / four).toFixed(2)}× (target ≤ 0.80×) ${verdict(pipeline / four <= 0.8)}`);
    console.log(`direct single pass / four runs: ${(direct / four).toFixed(2)}×`);
    console.log(`CPU seconds (user + system, ffmpeg and ffprobe included): direct ${directCpu.toFixed(1)}, four runs ${fourCpu.toFixed(1)}, pipeline ${pipelineCpu.toFixed(1)} (transcode worker process and its children)`);
    console.log(`pipeline CPU / direct CPU: ${(pipelineCpu / directCpu).toFixed(2)}×; pipeline CPU / four runs CPU: ${(pipelineCpu / fourCpu).toFixed(2)}×`);
    console.log(`worker peak RSS: ${(rss / 1048576).toFixed(0)} MB (target < 200 MB) ${verdict(rss < 200 * 1048576)}`);
  } finally {
    await platform.close();
  }
} finally {
  await stack.close();
  await rm(dir, { recursive: true, force: true });
}
