import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Rung } from "./ladder.js";
import { probeRendition, TranscodeError, type LadderPlan, type SourceProbe } from "./transcoder.js";

/**
 * Checks what one ladder encode wrote before anything is published, and writes
 * the final master playlist. Nothing here is trusted from ffmpeg's exit code
 * alone: a truncated source or a killed encoder leaves short renditions, which
 * must never become `ready`.
 */

/** Outputs may differ from the source's duration by at most this (seconds). */
export const DURATION_TOLERANCE_SECONDS = 0.5;

export interface MediaPlaylist {
  targetDuration: number;
  segments: Array<{ duration: number; uri: string }>;
  ended: boolean;
}

/** Parses an HLS media playlist; throws on anything that is not one. */
export function parseMediaPlaylist(text: string): MediaPlaylist {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  if (lines[0] !== "#EXTM3U") throw new Error("not an M3U playlist");
  let targetDuration = Number.NaN;
  let ended = false;
  let pending: number | null = null;
  const segments: MediaPlaylist["segments"] = [];
  for (const line of lines.slice(1)) {
    if (line.startsWith("#EXT-X-TARGETDURATION:")) targetDuration = Number(line.slice(22));
    else if (line.startsWith("#EXTINF:")) pending = Number.parseFloat(line.slice(8));
    else if (line === "#EXT-X-ENDLIST") ended = true;
    else if (!line.startsWith("#")) {
      if (pending === null || !Number.isFinite(pending)) throw new Error(`segment ${line} has no duration`);
      if (line.includes("/") || line.includes("..")) throw new Error(`segment URI ${line} leaves the rendition`);
      segments.push({ duration: pending, uri: line });
      pending = null;
    }
  }
  if (!Number.isFinite(targetDuration)) throw new Error("no target duration");
  return { targetDuration, segments, ended };
}

export interface RenditionReport {
  name: string;
  width: number;
  height: number;
  /** Seconds, from the playlist. */
  duration: number;
  segments: number;
  /** Bytes of all segments. */
  bytes: number;
  /** Peak segment bitrate, bit/s (video only). */
  peakBitrate: number;
  averageBitrate: number;
  codecs: string;
}

export interface OutputReport {
  renditions: RenditionReport[];
  audio: { duration: number; peakBitrate: number; averageBitrate: number } | null;
  /** Every file to publish, relative to the output directory. */
  files: string[];
  poster: string;
  storyboard: string | null;
  segmentBoundaries: number[];
}

async function readPlaylist(outputDir: string, name: string): Promise<{ playlist: MediaPlaylist; sizes: number[] }> {
  const file = path.join(outputDir, name, "index.m3u8");
  let playlist: MediaPlaylist;
  try {
    playlist = parseMediaPlaylist(await readFile(file, "utf8"));
  } catch (error) {
    throw new TranscodeError(`Rendition ${name} has no valid playlist (${(error as Error).message})`);
  }
  if (!playlist.ended) throw new TranscodeError(`Rendition ${name} is incomplete (no end of list)`);
  if (playlist.segments.length === 0) throw new TranscodeError(`Rendition ${name} has no segments`);
  const sizes = await Promise.all(
    playlist.segments.map(async (segment) => {
      const size = await stat(path.join(outputDir, name, segment.uri)).then((info) => info.size, () => 0);
      if (size === 0) throw new TranscodeError(`Rendition ${name} is missing segment ${segment.uri}`);
      return size;
    }),
  );
  return { playlist, sizes };
}

const total = (playlist: MediaPlaylist): number => playlist.segments.reduce((sum, segment) => sum + segment.duration, 0);
const rates = (playlist: MediaPlaylist, sizes: number[]): { peak: number; average: number } => ({
  // The last segment is often short; its rate says little about the stream's peak.
  peak: Math.round(Math.max(...sizes.map((size, i) => (size * 8) / Math.max(playlist.segments[i]?.duration ?? 1, 1)))),
  average: Math.round((sizes.reduce((a, b) => a + b, 0) * 8) / Math.max(total(playlist), 0.001)),
});

function avcCodec(profile: string, level: number): string {
  const profiles: Record<string, string> = { "Constrained Baseline": "42e0", Baseline: "4200", Main: "4d40", High: "6400" };
  const hex = profiles[profile] ?? "6400";
  return `avc1.${hex}${Math.max(10, Math.round(level)).toString(16).padStart(2, "0")}`;
}

/** Validates every rung against the source and the plan; throws a TranscodeError naming the first problem. */
export async function validateOutputs(outputDir: string, plan: LadderPlan, source: SourceProbe): Promise<OutputReport> {
  const renditions: RenditionReport[] = [];
  const files: string[] = [];
  let boundaries: number[] | null = null;
  const expectedSegments = Math.ceil(source.duration / plan.segmentSeconds - 0.01);
  for (const rung of plan.rungs) {
    const { playlist, sizes } = await readPlaylist(outputDir, rung.name);
    const listed = total(playlist);
    checkDuration(rung.name, listed, source.duration);
    if (Math.abs(playlist.segments.length - expectedSegments) > 1) {
      throw new TranscodeError(`Rendition ${rung.name} has ${playlist.segments.length} segments, expected ${expectedSegments}`);
    }
    const probe = await probeRendition(path.join(outputDir, rung.name, "index.m3u8"));
    checkDuration(rung.name, probe.duration, source.duration);
    if (probe.width !== rung.width || probe.height !== rung.height) {
      throw new TranscodeError(`Rendition ${rung.name} is ${probe.width}×${probe.height}, expected ${rung.width}×${rung.height}`);
    }
    const expectedPackets = Math.floor((source.duration - DURATION_TOLERANCE_SECONDS) * plan.fps);
    if (probe.videoPackets < expectedPackets) {
      throw new TranscodeError(`Rendition ${rung.name} holds ${probe.videoPackets} frames, expected at least ${expectedPackets}`);
    }
    const ends = cumulative(playlist);
    if (boundaries && !sameBoundaries(boundaries, ends)) throw new TranscodeError(`Rendition ${rung.name} has segment boundaries that differ from the other renditions`);
    boundaries ??= ends;
    const { peak, average } = rates(playlist, sizes);
    renditions.push({
      name: rung.name,
      width: rung.width,
      height: rung.height,
      duration: listed,
      segments: playlist.segments.length,
      bytes: sizes.reduce((a, b) => a + b, 0),
      peakBitrate: peak,
      averageBitrate: average,
      codecs: avcCodec(probe.profile, probe.level),
    });
    files.push(`${rung.name}/index.m3u8`, ...playlist.segments.map((segment) => `${rung.name}/${segment.uri}`));
  }
  let audio: OutputReport["audio"] = null;
  if (plan.hasAudio) {
    const { playlist, sizes } = await readPlaylist(outputDir, "audio");
    checkDuration("audio", total(playlist), source.duration);
    const { peak, average } = rates(playlist, sizes);
    audio = { duration: total(playlist), peakBitrate: peak, averageBitrate: average };
    files.push("audio/index.m3u8", ...playlist.segments.map((segment) => `audio/${segment.uri}`));
  }
  const poster = await stat(path.join(outputDir, plan.poster.file)).then((info) => info.size, () => 0);
  if (poster === 0) throw new TranscodeError("The poster image was not produced");
  files.push(plan.poster.file);
  // The storyboard is a seeking aid: a video without one is still playable.
  const storyboard = await stat(path.join(outputDir, plan.storyboard.file)).then((info) => info.size, () => 0);
  if (storyboard > 0) files.push(plan.storyboard.file);
  await writeFile(path.join(outputDir, "master.m3u8"), masterPlaylist(plan, renditions, audio));
  files.push("master.m3u8");
  return { renditions, audio, files, poster: plan.poster.file, storyboard: storyboard > 0 ? plan.storyboard.file : null, segmentBoundaries: boundaries ?? [] };
}

function checkDuration(name: string, duration: number, expected: number): void {
  if (!Number.isFinite(duration) || Math.abs(duration - expected) > DURATION_TOLERANCE_SECONDS) {
    throw new TranscodeError(`Rendition ${name} lasts ${Number.isFinite(duration) ? duration.toFixed(2) : "?"} s, the source ${expected.toFixed(2)} s`);
  }
}

function cumulative(playlist: MediaPlaylist): number[] {
  let at = 0;
  return playlist.segments.map((segment) => (at += segment.duration));
}

function sameBoundaries(a: number[], b: number[]): boolean {
  // The last boundary is the end of the stream; it may differ by a frame.
  if (a.length !== b.length) return false;
  return a.slice(0, -1).every((value, i) => Math.abs(value - (b[i] ?? Number.NaN)) < 0.011);
}

/**
 * The master playlist, written from measured figures: BANDWIDTH is the peak
 * segment bitrate (video + audio), AVERAGE-BANDWIDTH the mean, RESOLUTION,
 * FRAME-RATE and CODECS for every variant (ffmpeg omits FRAME-RATE and estimates
 * BANDWIDTH from nominal rates).
 */
export function masterPlaylist(plan: LadderPlan, renditions: RenditionReport[], audio: OutputReport["audio"]): string {
  const lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"];
  if (audio) lines.push('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="default",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"');
  for (const rendition of renditions) {
    const codecs = audio ? `${rendition.codecs},mp4a.40.2` : rendition.codecs;
    const attributes = [
      `BANDWIDTH=${rendition.peakBitrate + (audio?.peakBitrate ?? 0)}`,
      `AVERAGE-BANDWIDTH=${rendition.averageBitrate + (audio?.averageBitrate ?? 0)}`,
      `RESOLUTION=${rendition.width}x${rendition.height}`,
      `FRAME-RATE=${plan.fps.toFixed(3)}`,
      `CODECS="${codecs}"`,
      ...(audio ? ['AUDIO="audio"'] : []),
    ];
    lines.push(`#EXT-X-STREAM-INF:${attributes.join(",")}`, `${rendition.name}/index.m3u8`);
  }
  return `${lines.join("\n")}\n`;
}

export type { Rung };
