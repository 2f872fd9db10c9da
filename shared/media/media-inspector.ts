import { spawn } from "node:child_process";
import { open, stat } from "node:fs/promises";
import path from "node:path";
import { fileTypeFromFile } from "file-type";
import sharp, { type FormatEnum, type Sharp } from "sharp";
import type { MediaMetadata } from "./media.types.js";

/** The bytes are not what they must be: the upload fails with `reason`. */
export class MediaRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "MediaRejected";
  }
}

export interface ImageOutput {
  path: string;
  mimeType: string;
  width: number;
  height: number;
  size: number;
}

export interface InspectorOptions {
  ffprobePath: string;
  ffmpegPath: string;
  maxImagePixels: number;
  /** Abandon a probe that hangs (a file crafted to stall the demuxer). */
  probeTimeoutMs?: number;
}

const SHARP_FORMAT: Record<string, keyof FormatEnum> = { "image/jpeg": "jpeg", "image/png": "png", "image/gif": "gif", "image/webp": "webp" };
/** Markup in the head of a binary or text file: a polyglot a browser could run as a page. */
const MARKUP = /<\s*(script|html|svg|iframe|object|embed|body|\?php)\b/i;
const HEAD_BYTES = 4096;

sharp.cache(false);
sharp.concurrency(1);

/**
 * Looks at the bytes of an upload: the sniffed type, image decoding with a
 * pixel limit and re-encoding without metadata, ffprobe for audio and video.
 */
export class MediaInspector {
  constructor(private readonly options: InspectorOptions) {}

  /** The type the magic bytes say (undefined: none known, e.g. plain text). */
  async sniff(file: string): Promise<string | undefined> {
    return (await fileTypeFromFile(file))?.mime;
  }

  /** Plain text: valid UTF-8, no control characters but tab/newline/form feed, no markup. */
  async checkText(file: string): Promise<void> {
    const head = await readHead(file, 64 * 1024);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(trimPartialUtf8(head));
    } catch {
      throw new MediaRejected("the file is not UTF-8 text");
    }
    // eslint-disable-next-line no-control-regex -- control characters are what is being refused
    if (/[\u0000-\u0008\u000e-\u001f\u007f]/.test(text)) throw new MediaRejected("the file is not plain text");
    if (MARKUP.test(text)) throw new MediaRejected("the text contains markup");
  }

  /** Refuses a non-image file whose first bytes also read as a web page (a polyglot). */
  async checkNoMarkup(file: string): Promise<void> {
    if (MARKUP.test((await readHead(file, HEAD_BYTES)).toString("latin1"))) throw new MediaRejected("the file also contains markup (polyglot)");
  }

  /** A PDF starts with its header and ends with an end-of-file marker (a truncated one does not). */
  async checkPdf(file: string): Promise<void> {
    const { size } = await stat(file);
    const handle = await open(file, "r");
    try {
      const tail = Buffer.alloc(Math.min(1024, size));
      await handle.read(tail, 0, tail.length, size - tail.length);
      if (!tail.toString("latin1").includes("%%EOF")) throw new MediaRejected("the PDF is truncated");
    } finally {
      await handle.close();
    }
  }

  /**
   * Decodes an image (refusing more than the pixel limit before decoding) and
   * writes it again without EXIF/GPS metadata, upright, plus a WebP thumbnail
   * (320 px) and display size (1280 px), never enlarged.
   */
  async processImage(file: string, mimeType: string, outDir: string): Promise<{ main: ImageOutput; thumbnail: ImageOutput; display: ImageOutput }> {
    const format = SHARP_FORMAT[mimeType];
    if (!format) throw new MediaRejected("unsupported image format");
    const animated = mimeType === "image/gif" || mimeType === "image/webp";
    const open = (all: boolean) => sharp(file, { limitInputPixels: this.options.maxImagePixels, failOn: "error", animated: all && animated, sequentialRead: true });
    let meta;
    try {
      meta = await open(false).metadata();
    } catch (error) {
      if (/pixel limit/i.test((error as Error).message)) throw new MediaRejected(`the image is larger than ${this.options.maxImagePixels} pixels`);
      throw new MediaRejected("the image could not be read");
    }
    if (meta.format !== format) throw new MediaRejected("the image format does not match its type");
    const pages = meta.pages ?? 1;
    if (!meta.width || !meta.height) throw new MediaRejected("the image has no dimensions");
    if (meta.width * meta.height * (animated ? pages : 1) > this.options.maxImagePixels) {
      throw new MediaRejected(`the image is larger than ${this.options.maxImagePixels} pixels`);
    }
    const write = async (name: string, pipeline: Sharp, type: string): Promise<ImageOutput> => {
      const target = path.join(outDir, name);
      try {
        const info = await pipeline.toFile(target);
        return { path: target, mimeType: type, width: info.width, height: pageHeight(info.height, meta.pageHeight, pages, animated), size: info.size };
      } catch {
        throw new MediaRejected("the image could not be decoded");
      }
    };
    // sharp writes no metadata unless asked (keepMetadata/withMetadata): EXIF, GPS, XMP and comments are dropped.
    const main = await write(`main.${format}`, open(true).rotate().toFormat(format, format === "jpeg" ? { quality: 88, mozjpeg: true } : {}), mimeType);
    const thumbnail = await write("thumbnail.webp", open(false).rotate().resize(320, 320, { fit: "inside", withoutEnlargement: true }).webp({ quality: 75 }), "image/webp");
    const display = await write("display.webp", open(false).rotate().resize(1280, 1280, { fit: "inside", withoutEnlargement: true }).webp({ quality: 82 }), "image/webp");
    return { main, thumbnail, display };
  }

  /** ffprobe: the streams must be of the kind (a video needs a video stream, audio an audio one), with a duration. */
  async probe(file: string, kind: "audio" | "video"): Promise<MediaMetadata> {
    const output = await this.runFfprobe(file);
    let parsed: { streams?: ProbeStream[]; format?: { duration?: string } };
    try {
      parsed = JSON.parse(output) as typeof parsed;
    } catch {
      throw new MediaRejected(`the ${kind} could not be read`);
    }
    const streams = parsed.streams ?? [];
    const video = streams.find((s) => s.codec_type === "video" && !s.disposition?.attached_pic);
    const audio = streams.find((s) => s.codec_type === "audio");
    const duration = Number(parsed.format?.duration ?? video?.duration ?? audio?.duration);
    if (kind === "video" && !video) throw new MediaRejected("the video has no video stream");
    if (kind === "audio" && (!audio || video)) throw new MediaRejected("the audio file has no audio stream, or also video");
    if (!Number.isFinite(duration) || duration <= 0) throw new MediaRejected(`the ${kind} has no duration`);
    const metadata: MediaMetadata = { durationSeconds: Math.round(duration * 1000) / 1000 };
    if (video?.width && video.height) {
      metadata.width = video.width;
      metadata.height = video.height;
    }
    if (video?.codec_name) metadata.videoCodec = video.codec_name;
    if (audio?.codec_name) metadata.audioCodec = audio.codec_name;
    return metadata;
  }

  /**
   * Decodes the last second: a file cut short keeps its index (a "faststart"
   * MP4 has it at the front) but not the samples it points to, which probing
   * alone does not notice.
   */
  async checkTail(file: string): Promise<void> {
    try {
      await this.run(this.options.ffmpegPath, ["-v", "error", "-xerror", "-sseof", "-1", "-i", file, "-f", "null", "-"]);
    } catch (error) {
      if (error instanceof MediaRejected) throw new MediaRejected("the file is truncated or corrupt");
      throw error;
    }
  }

  private runFfprobe(file: string): Promise<string> {
    return this.run(this.options.ffprobePath, ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", file]);
  }

  private run(command: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
      const out: Buffer[] = [];
      let errors = "";
      const timer = setTimeout(() => child.kill("SIGKILL"), this.options.probeTimeoutMs ?? 30_000);
      child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-2000)));
      child.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(Buffer.concat(out).toString());
        else reject(new MediaRejected(`the file could not be probed${errors ? `: ${errors.split("\n")[0]!.slice(0, 200)}` : ""}`));
      });
    });
  }
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  duration?: string;
  disposition?: { attached_pic?: number };
}


const pageHeight = (height: number, metaPageHeight: number | undefined, pages: number, animated: boolean): number =>
  animated && pages > 1 ? (metaPageHeight ?? Math.round(height / pages)) : height;

async function readHead(file: string, bytes: number): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Drops an incomplete UTF-8 sequence cut off at the end of a sample. */
function trimPartialUtf8(buffer: Buffer): Buffer {
  let end = buffer.length;
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const byte = buffer[end - i]!;
    if ((byte & 0xc0) === 0x80) continue;
    if (byte >= 0xc0) end -= i;
    break;
  }
  return buffer.subarray(0, end);
}
