import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ClipSpec {
  width: number;
  height: number;
  seconds: number;
  fps?: number;
  audio?: boolean;
  /** Display-matrix rotation written into the MP4 (degrees). */
  rotate?: number;
  /** Drops frames at random so the stream's timestamps are irregular. */
  variableFrameRate?: boolean;
  /** Moves the index to the front (so a truncated copy still probes). */
  faststart?: boolean;
}

/** Generated test media (ffmpeg's testsrc2 + sine), in a temporary directory removed by `dispose`. */
export class ClipFactory {
  private constructor(readonly dir: string) {}

  static async create(): Promise<ClipFactory> {
    return new ClipFactory(await mkdtemp(path.join(tmpdir(), "cw-clips-")));
  }

  /** An H.264/AAC MP4 clip; ultrafast so generating it costs little. */
  async clip(name: string, spec: ClipSpec): Promise<string> {
    const file = path.join(this.dir, `${name}.mp4`);
    const fps = spec.fps ?? 30;
    const args = ["-v", "error", "-y", "-f", "lavfi", "-i", `testsrc2=s=${spec.width}x${spec.height}:r=${fps}:d=${spec.seconds}`];
    if (spec.audio !== false) args.push("-f", "lavfi", "-i", `sine=f=440:sample_rate=48000:d=${spec.seconds}`);
    if (spec.variableFrameRate) args.push("-vf", "select='lt(random(0)\\,0.7)+eq(n\\,0)'", "-fps_mode", "vfr");
    args.push("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", String(fps));
    if (spec.audio !== false) args.push("-c:a", "aac", "-b:a", "64k");
    if (spec.faststart) args.push("-movflags", "+faststart");
    args.push("-t", String(spec.seconds), file);
    await run("ffmpeg", args);
    if (spec.rotate) await writeFile(file, rotateTrack(await readFile(file), spec.rotate));
    return file;
  }

  /** An audio-only M4A renamed .mp4. */
  async audioOnly(name: string, seconds = 2): Promise<string> {
    const file = path.join(this.dir, `${name}.mp4`);
    await run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", `sine=d=${seconds}`, "-c:a", "aac", "-f", "mp4", file]);
    return file;
  }

  /** A single PNG image renamed .mp4. */
  async image(name: string): Promise<string> {
    const file = path.join(this.dir, `${name}.mp4`);
    await run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=320x240", "-frames:v", "1", "-c:v", "png", "-f", "image2", file]);
    return file;
  }

  /** Raw bytes under a video name (zero bytes, text...). */
  async bytes(name: string, content: string | Buffer): Promise<string> {
    const file = path.join(this.dir, name);
    await writeFile(file, content);
    return file;
  }

  /** The first `fraction` of a file's bytes. */
  async truncated(name: string, source: string, fraction: number): Promise<string> {
    const data = await readFile(source);
    return this.bytes(name, data.subarray(0, Math.floor(data.length * fraction)));
  }

  /**
   * A 16384×16384 YUV4MPEG2 stream that declares its size in the header but
   * carries only a sliver of a frame: probing sees the dimensions without anyone
   * allocating 400 MB.
   */
  async huge(name: string): Promise<string> {
    const header = "YUV4MPEG2 W16384 H16384 F30:1 Ip A1:1 C420jpeg\nFRAME\n";
    return this.bytes(`${name}.y4m`, Buffer.concat([Buffer.from(header), Buffer.alloc(4096, 16)]));
  }

  /** An MP4 whose video sample entry names a codec nobody knows ("avc1" rewritten to "zzz9"). */
  async unknownCodec(name: string, source: string): Promise<string> {
    const data = Buffer.from(await readFile(source));
    const at = data.indexOf("avc1", data.indexOf("stsd"));
    if (at < 0) throw new Error("no avc1 sample entry");
    data.write("zzz9", at, "latin1");
    return this.bytes(`${name}.mp4`, data);
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Writes a rotation into the first track header's display matrix (ffmpeg 5.1
 * no longer turns a "rotate" tag into one; phones write exactly this matrix).
 */
function rotateTrack(data: Buffer, degrees: number): Buffer {
  const at = data.indexOf("tkhd");
  if (at < 0) throw new Error("no track header");
  const identity = Buffer.alloc(36);
  [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000].forEach((value, i) => identity.writeInt32BE(value, i * 4));
  const matrixAt = data.indexOf(identity, at);
  if (matrixAt < 0 || matrixAt > at + 100) throw new Error("no identity matrix in the track header");
  const radians = (degrees * Math.PI) / 180;
  const [cos, sin] = [Math.round(Math.cos(radians)), Math.round(Math.sin(radians))];
  [cos * 0x10000, sin * 0x10000, 0, -sin * 0x10000, cos * 0x10000, 0, 0, 0, 0x40000000].forEach((value, i) => data.writeInt32BE(value, matrixAt + i * 4));
  return data;
}

/** ffprobe's JSON for a file. */
export async function ffprobeJson(file: string, extra: string[] = []): Promise<{ streams: Array<Record<string, unknown>>; format: Record<string, unknown> }> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-of", "json", "-show_streams", "-show_format", ...extra, file], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as { streams: Array<Record<string, unknown>>; format: Record<string, unknown> };
}

/** Presentation times of the keyframes of a file's first video stream. */
export async function keyframeTimes(file: string): Promise<number[]> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", file], { maxBuffer: 16 * 1024 * 1024 });
  return stdout
    .split("\n")
    .filter((line) => line.includes("K"))
    .map((line) => Number.parseFloat(line.split(",")[0] ?? ""));
}
