import { rm } from "node:fs/promises";
import { validateOutputs, type OutputReport } from "./hls-output.js";
import { buildLadderArgs, planOutputs, probeSource, runFfmpeg, type EncodeOptions, type LadderPlan, type ProbeLimits, type SourceProbe } from "./transcoder.js";

export type EncodeStage = "probing" | "transcoding" | "validating" | "publishing";

export interface EncodeProgress {
  stage: EncodeStage;
  /** 0-100 over the whole job (probe 0-2, encode 2-90, validate 90-95, publish 95-100). */
  percent: number;
}

export interface EncodeRequest {
  input: string;
  /** Emptied first: a retry starts clean. */
  outputDir: string;
  limits: ProbeLimits;
  encode: EncodeOptions;
  signal?: AbortSignal;
  onProgress?: (progress: EncodeProgress) => void;
}

export interface EncodeResult {
  source: SourceProbe;
  plan: LadderPlan;
  report: OutputReport;
}

/** Probe → plan → one ffmpeg pass → validation, in a local directory. */
export async function encodeVideo(request: EncodeRequest): Promise<EncodeResult> {
  const { outputDir, onProgress } = request;
  await rm(outputDir, { recursive: true, force: true });
  onProgress?.({ stage: "probing", percent: 0 });
  const source = await probeSource(request.input, request.limits);
  const plan = planOutputs(source, request.encode.segmentSeconds);
  onProgress?.({ stage: "transcoding", percent: 2 });
  await runFfmpeg(buildLadderArgs(request.input, outputDir, plan, request.encode), outputDir, {
    signal: request.signal,
    onProgress: (seconds) => onProgress?.({ stage: "transcoding", percent: 2 + Math.min(88, (88 * seconds) / source.duration) }),
  });
  onProgress?.({ stage: "validating", percent: 90 });
  const report = await validateOutputs(outputDir, plan, source);
  return { source, plan, report };
}
