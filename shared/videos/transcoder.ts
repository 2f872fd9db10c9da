import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import ffmpeg from "fluent-ffmpeg";
import { outputFrameRate, planLadder, type Rung } from "./ladder.js";

/**
 * The one module that knows ffmpeg's command lines and processes.
 *
 * fluent-ffmpeg (the product's named dependency) probes files; the ladder encode
 * is a full argument list built here and spawned directly, because it must run in
 * its own process group (fluent-ffmpeg exposes no spawn options) so that an abort
 * or a shutdown kills the whole group. Replacing fluent-ffmpeg is a change to this
 * file only.
 *
 * ffmpeg dies with its worker: it is started through `setpriv --pdeathsig SIGKILL`
 * (util-linux), so the kernel kills it when the worker process dies, even by
 * SIGKILL; a worker that exits normally or on a signal kills every group it
 * started (`killActiveTranscodes`, also run from the process "exit" hook).
 */

/** A source or output the pipeline cannot use; the message is shown to the uploader. */
export class TranscodeError extends Error {
  constructor(message: string, readonly retryable = false) {
    super(message);
    this.name = "TranscodeError";
  }
}

export interface SourceProbe {
  /** Seconds. */
  duration: number;
  /** Display width and height (rotation applied). */
  width: number;
  height: number;
  /** Degrees the display matrix rotates the coded frame by (0, 90, 180, 270). */
  rotation: number;
  /** Average input frame rate. */
  averageFps: number;
  /** True when the declared rate differs from the average (variable frame rate). */
  variableFrameRate: boolean;
  videoCodec: string;
  audioCodec: string | null;
  formatName: string;
}

export interface ProbeLimits {
  maxDimension: number;
  maxDurationSeconds: number;
  minDurationSeconds: number;
  /** Slack on both duration limits (containers round: a 60.02 s recording is a 60 s short). */
  durationToleranceSeconds?: number;
}

/** Video codecs accepted as sources (what ffmpeg decodes well and phones/cameras produce). */
const SOURCE_VIDEO_CODECS = new Set(["h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "mpeg2video", "mpeg1video", "prores", "mjpeg", "theora", "dnxhd", "h263", "wmv3", "vc1", "rawvideo"]);
const IMAGE_FORMATS = /(^|,)(image2|png_pipe|jpeg_pipe|webp_pipe|gif|bmp_pipe|tiff_pipe|apng)(,|$)/;

const ratio = (value: unknown): number => {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return Number.NaN;
  const [numerator = Number.NaN, denominator] = value.split("/").map(Number);
  return denominator ? numerator / denominator : numerator;
};
const num = (value: unknown): number => (typeof value === "number" ? value : Number.parseFloat(String(value)));

function ffprobeData(file: string, options: string[]): Promise<ffmpeg.FfprobeData> {
  return new Promise((resolve, reject) => {
    ffmpeg.ffprobe(file, options, (error, data) => (error ? reject(error as Error) : resolve(data)));
  });
}

/**
 * The last meaningful line of an ffprobe/ffmpeg error, for a reason the
 * uploader can read: no component tags, no local paths.
 */
function lastLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text
    .split("\n")
    .map((line) => line.replace(/^\[[^\]]+\]\s*/, "").replace(/^\S*\/\S*:\s+/, "").replace(/(?:\/[\w.-]+)+/g, (match) => match.split("/").pop() ?? "").trim())
    .filter((line) => line && !line.startsWith("ffprobe exited") && !line.startsWith("ffmpeg exited"));
  return (lines.at(-1) ?? "unknown error").slice(0, 200);
}

/** Reads a source's streams and refuses what the pipeline cannot make a video of. */
export async function probeSource(file: string, limits: ProbeLimits): Promise<SourceProbe> {
  let data: ffmpeg.FfprobeData;
  try {
    data = await ffprobeData(file, ["-v", "error"]);
  } catch (error) {
    const size = /Picture size (\d+)x(\d+) is invalid/.exec(String((error as Error).message));
    if (size) throw new TranscodeError(`The video is ${size[1]}×${size[2]}; the largest accepted frame side is ${limits.maxDimension} pixels`);
    throw new TranscodeError(`The file is not a readable video (${lastLine(error)})`);
  }
  const formatName = String(data.format.format_name ?? "");
  const video = data.streams.find((stream) => stream.codec_type === "video" && !stream.disposition?.attached_pic);
  if (!video) {
    throw new TranscodeError(data.streams.some((s) => s.codec_type === "audio") ? "The file has audio but no video stream" : "The file has no video stream");
  }
  if (IMAGE_FORMATS.test(formatName)) throw new TranscodeError("The file is a still image, not a video");
  const codec = String(video.codec_name ?? "unknown");
  if (!SOURCE_VIDEO_CODECS.has(codec)) {
    const tag = video.codec_tag_string && video.codec_tag_string !== "[0][0][0][0]" ? ` (${video.codec_tag_string})` : "";
    throw new TranscodeError(`Unsupported video codec: ${codec}${tag}`);
  }
  const codedWidth = num(video.width);
  const codedHeight = num(video.height);
  if (!(codedWidth > 0 && codedHeight > 0)) throw new TranscodeError("The video stream has no frame size");
  if (codedWidth > limits.maxDimension || codedHeight > limits.maxDimension) {
    throw new TranscodeError(`The video is ${codedWidth}×${codedHeight}; the largest accepted frame side is ${limits.maxDimension} pixels`);
  }
  // Clockwise degrees, as the legacy "rotate" tag says; the display matrix's
  // rotation (side data) is counter-clockwise.
  const sideRotation = num((video as Record<string, unknown>).rotation);
  const rawRotation = Number.isFinite(sideRotation) ? -sideRotation : num(video.tags?.rotate ?? 0);
  const rotation = (((Math.round(Number.isFinite(rawRotation) ? rawRotation : 0) % 360) + 360) % 360);
  const sideways = rotation === 90 || rotation === 270;
  const duration = [video.duration, data.format.duration].map(num).find((value) => Number.isFinite(value) && value > 0);
  if (duration === undefined) throw new TranscodeError("The video has no duration (a still image or an unreadable stream)");
  const slack = limits.durationToleranceSeconds ?? 0;
  if (duration < limits.minDurationSeconds - slack) throw new TranscodeError(`The video lasts ${duration.toFixed(1)} s; the shortest accepted is ${limits.minDurationSeconds} s`);
  if (duration > limits.maxDurationSeconds + slack) throw new TranscodeError(`The video lasts ${duration.toFixed(1)} s; the longest accepted is ${limits.maxDurationSeconds} s`);
  const averageFps = ratio(video.avg_frame_rate);
  const declaredFps = ratio(video.r_frame_rate);
  const audio = data.streams.find((stream) => stream.codec_type === "audio");
  return {
    duration,
    width: sideways ? codedHeight : codedWidth,
    height: sideways ? codedWidth : codedHeight,
    rotation,
    averageFps: Number.isFinite(averageFps) && averageFps > 0 ? averageFps : declaredFps,
    variableFrameRate: Number.isFinite(averageFps) && Number.isFinite(declaredFps) && Math.abs(averageFps - declaredFps) > 0.01,
    videoCodec: codec,
    audioCodec: audio ? String(audio.codec_name ?? "unknown") : null,
    formatName,
  };
}

/** What one ladder encode produces, all under `outputDir`. */
export interface LadderPlan {
  rungs: Rung[];
  fps: number;
  /** Segment length in seconds; also the keyframe interval. */
  segmentSeconds: number;
  hasAudio: boolean;
  audioKbps: number;
  poster: { file: string; at: number; width: number };
  storyboard: { file: string; interval: number; columns: number; rows: number; tileWidth: number; tileHeight: number; count: number };
}

export interface EncodeOptions {
  /** x264 preset (ultrafast … veryslow). */
  preset: string;
  /** Encoder threads per rung (0: ffmpeg decides). */
  threads: number;
  segmentSeconds?: number;
}

const STORYBOARD_MAX_TILES = 100;
const STORYBOARD_TILE_WIDTH = 160;

/** Decides the ladder, poster and storyboard for a probed source. */
export function planOutputs(source: SourceProbe, segmentSeconds = 2): LadderPlan {
  const fps = outputFrameRate(source.averageFps, source.variableFrameRate);
  const rungs = planLadder({ width: source.width, height: source.height, fps });
  const top = rungs[0];
  if (!top) throw new TranscodeError("The video has no usable frame size");
  const interval = Math.max(1, Math.ceil(source.duration / STORYBOARD_MAX_TILES));
  const count = Math.max(1, Math.min(STORYBOARD_MAX_TILES, Math.floor(source.duration / interval)));
  const columns = Math.min(10, count);
  const tileHeight = 2 * Math.round((STORYBOARD_TILE_WIDTH * source.height) / source.width / 2);
  return {
    rungs,
    fps,
    segmentSeconds,
    hasAudio: source.audioCodec !== null,
    audioKbps: 128,
    poster: { file: "poster.jpg", at: Math.min(1, source.duration / 2), width: Math.min(1280, top.width) },
    storyboard: { file: "storyboard.jpg", interval, columns, rows: Math.ceil(count / columns), tileWidth: STORYBOARD_TILE_WIDTH, tileHeight, count },
  };
}

/**
 * The whole ladder in one ffmpeg process: decode once, normalise the frame rate,
 * split, scale and encode each rung with its own libx264 encoder, keyframes
 * forced every `segmentSeconds` on every rung (scene-cut keyframes off) so
 * segment boundaries are equal across rungs, one shared AAC audio group, HLS
 * playlists + master; the poster and the storyboard come from the same decode.
 */
export function buildLadderArgs(input: string, outputDir: string, plan: LadderPlan, options: EncodeOptions): string[] {
  const { rungs, fps, segmentSeconds, poster, storyboard } = plan;
  const gop = Math.max(1, Math.round(fps * segmentSeconds));
  const branches = rungs.length + 2;
  const graph = [
    `[0:v:0]fps=${fps},format=yuv420p,setsar=1,split=${branches}${Array.from({ length: branches }, (_, i) => `[s${i}]`).join("")}`,
    ...rungs.map((rung, i) => `[s${i}]scale=${rung.width}:${rung.height}:flags=bicubic[v${i}]`),
    `[s${rungs.length}]trim=start=${poster.at.toFixed(3)},setpts=PTS-STARTPTS,trim=end_frame=1,scale=${poster.width}:-2[poster]`,
    `[s${rungs.length + 1}]fps=1/${storyboard.interval},scale=${storyboard.tileWidth}:${storyboard.tileHeight},tile=${storyboard.columns}x${storyboard.rows}[storyboard]`,
  ].join(";");

  const args = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-progress", "pipe:1", "-stats_period", "0.5", "-i", input, "-filter_complex", graph];
  rungs.forEach((rung, i) => {
    args.push(
      "-map", `[v${i}]`,
      `-c:v:${i}`, "libx264",
      `-b:v:${i}`, `${rung.videoKbps}k`,
      `-maxrate:v:${i}`, `${rung.maxKbps}k`,
      `-bufsize:v:${i}`, `${rung.bufferKbits}k`,
    );
  });
  if (plan.hasAudio) args.push("-map", "0:a:0", "-c:a", "aac", "-b:a", `${plan.audioKbps}k`, "-ac", "2", "-ar", "48000");
  args.push(
    "-preset", options.preset,
    "-profile:v", "high",
    "-threads", String(options.threads),
    "-g", String(gop),
    "-keyint_min", String(gop),
    "-sc_threshold", "0",
    "-force_key_frames", `expr:gte(t,n_forced*${segmentSeconds})`,
    "-fps_mode", "cfr",
    "-f", "hls",
    "-hls_time", String(segmentSeconds),
    "-hls_playlist_type", "vod",
    "-hls_list_size", "0",
    "-hls_flags", "independent_segments",
    "-hls_segment_type", "mpegts",
    "-hls_segment_filename", path.join(outputDir, "%v", "seg_%04d.ts"),
    "-master_pl_name", "master.m3u8",
    "-var_stream_map", varStreamMap(rungs, plan.hasAudio),
    path.join(outputDir, "%v", "index.m3u8"),
  );
  args.push("-map", "[poster]", "-frames:v", "1", "-q:v", "3", "-update", "1", path.join(outputDir, poster.file));
  args.push("-map", "[storyboard]", "-frames:v", "1", "-q:v", "5", "-update", "1", path.join(outputDir, storyboard.file));
  return args;
}

function varStreamMap(rungs: Rung[], hasAudio: boolean): string {
  const video = rungs.map((rung, i) => `v:${i},${hasAudio ? "agroup:audio," : ""}name:${rung.name}`);
  return (hasAudio ? ["a:0,agroup:audio,name:audio,default:yes", ...video] : video).join(" ");
}

export interface RunOptions {
  /** Aborting kills the process group. */
  signal?: AbortSignal;
  /** Seconds of output written so far (from `-progress`), at most every half second. */
  onProgress?: (outSeconds: number) => void;
}

const active = new Set<ChildProcess>();
const SETPRIV = "/usr/bin/setpriv";
const useSetpriv = process.platform === "linux" && existsSync(SETPRIV);
let ffmpegPath = "ffmpeg";

/** Where the binaries are (FFMPEG_PATH, FFPROBE_PATH). */
export function configureTranscoder(paths: { ffmpegPath: string; ffprobePath: string }): void {
  ffmpegPath = paths.ffmpegPath;
  ffmpeg.setFfprobePath(paths.ffprobePath);
}

/** Kills the process group of every ffmpeg this process started (shutdown, exit). */
export function killActiveTranscodes(): number {
  let killed = 0;
  for (const child of active) {
    if (child.pid === undefined) continue;
    try {
      process.kill(-child.pid, "SIGKILL");
      killed++;
    } catch {
      // Already gone.
    }
  }
  return killed;
}

/** How many ffmpeg processes this process is running (for tests and metrics). */
export function activeTranscodeCount(): number {
  return active.size;
}

let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => killActiveTranscodes());
}

/** Runs ffmpeg with `args` in its own process group; resolves on exit 0. */
export async function runFfmpeg(args: string[], outputDir: string, options: RunOptions = {}): Promise<void> {
  installExitHook();
  await mkdir(outputDir, { recursive: true });
  if (options.signal?.aborted) throw new TranscodeError("The transcode was cancelled", true);
  const command = useSetpriv ? SETPRIV : ffmpegPath;
  const argv = useSetpriv ? ["--pdeathsig", "SIGKILL", "--", ffmpegPath, ...args] : args;
  const child = spawn(command, argv, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
  active.add(child);
  let stderr = "";
  let pending = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const match = /^out_time_us=(\d+)/.exec(line);
      if (match && options.onProgress) options.onProgress(Number(match[1]) / 1e6);
    }
  });
  const abort = (): void => {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  };
  options.signal?.addEventListener("abort", abort, { once: true });
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (exitCode, exitSignal) => resolve({ code: exitCode, signal: exitSignal }));
    });
    if (options.signal?.aborted) throw new TranscodeError("The transcode was cancelled", true);
    // Killed from outside (worker shutdown, out of memory): the input is not at fault, so it may be retried.
    if (signal) throw new TranscodeError(`ffmpeg was stopped (${signal})`, true);
    if (code !== 0) throw new TranscodeError(`ffmpeg failed: ${lastLine(stderr || `exit code ${code}`)}`);
  } finally {
    options.signal?.removeEventListener("abort", abort);
    active.delete(child);
  }
}

/** What ffprobe says about one finished rendition playlist. */
export interface RenditionProbe {
  duration: number;
  width: number;
  height: number;
  videoCodec: string;
  profile: string;
  level: number;
  videoPackets: number;
  audioCodec: string | null;
}

/** Probes an output playlist, counting packets (demux only) so missing segments show. */
export async function probeRendition(playlist: string): Promise<RenditionProbe> {
  let data: ffmpeg.FfprobeData;
  try {
    data = await ffprobeData(playlist, ["-v", "error", "-count_packets", "-allowed_extensions", "ALL"]);
  } catch (error) {
    throw new TranscodeError(`A rendition cannot be read (${lastLine(error)})`);
  }
  const video = data.streams.find((stream) => stream.codec_type === "video");
  const audio = data.streams.find((stream) => stream.codec_type === "audio");
  return {
    duration: num(data.format.duration),
    width: num(video?.width),
    height: num(video?.height),
    videoCodec: String(video?.codec_name ?? ""),
    profile: String(video?.profile ?? ""),
    level: num(video?.level),
    videoPackets: num((video as Record<string, unknown> | undefined)?.nb_read_packets ?? 0),
    audioCodec: audio ? String(audio.codec_name) : null,
  };
}
