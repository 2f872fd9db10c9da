/**
 * The HLS ladder: which renditions a source gets. Pure functions, no ffmpeg.
 *
 * A rung is named by its "p" value, the short side of the frame, so a portrait
 * 1080×1920 source gets a "1080p" rung of 1080×1920 and a landscape 1920×1080
 * source a "1080p" rung of 1920×1080. Rungs above the source are skipped (never
 * upscaled); the source's own short side becomes a rung when it sits between two
 * ladder steps (or below the lowest one, so every video has at least one rung).
 */

/** The standard ladder, short side in pixels. */
export const LADDER_HEIGHTS = [1080, 720, 480, 360] as const;

/** What the planner needs to know about a source (display orientation, after rotation). */
export interface SourceGeometry {
  /** Width as displayed (rotation applied). */
  width: number;
  /** Height as displayed (rotation applied). */
  height: number;
  /** Output frame rate, frames per second (already normalised, see `outputFrameRate`). */
  fps: number;
}

export interface Rung {
  /** "1080p", "720p", ... also the rendition's directory name. */
  name: string;
  /** Short side in pixels. */
  p: number;
  width: number;
  height: number;
  /** Target video bitrate, kbit/s. */
  videoKbps: number;
  /** VBV maximum rate, kbit/s. */
  maxKbps: number;
  /** VBV buffer, kbit. */
  bufferKbits: number;
}

const even = (value: number): number => Math.max(2, 2 * Math.round(value / 2));
const evenFloor = (value: number): number => Math.max(2, 2 * Math.floor(value / 2));

/** 5 Mbit/s at 1080p30, scaled by pixel count to the 0.75 power (a common H.264 rule of thumb). */
function bitrateFor(width: number, height: number, fps: number): number {
  const base = 5000 * Math.pow((width * height) / (1920 * 1080), 0.75);
  return Math.round(fps > 31 ? base * 1.5 : base);
}

/** The renditions of a source, highest first. */
export function planLadder(source: SourceGeometry): Rung[] {
  const shortSide = Math.min(source.width, source.height);
  const landscape = source.width >= source.height;
  const steps: number[] = LADDER_HEIGHTS.filter((p) => p <= shortSide);
  const ownStep = evenFloor(shortSide);
  // The source's own size is a rung when it sits between two steps (or below the lowest),
  // unless it is within 10 % of the step below, which would be a near-duplicate rendition.
  const below = steps[0];
  if (shortSide < LADDER_HEIGHTS[0] && (below === undefined || ownStep > below * 1.1)) steps.push(ownStep);
  steps.sort((a, b) => b - a);
  return steps.map((p) => {
    const sourceLong = Math.max(source.width, source.height);
    const longSide = Math.min(even((p * sourceLong) / shortSide), evenFloor(sourceLong));
    const width = landscape ? longSide : p;
    const height = landscape ? p : longSide;
    const videoKbps = bitrateFor(width, height, source.fps);
    return {
      name: `${p}p`,
      p,
      width,
      height,
      videoKbps,
      maxKbps: Math.round(videoKbps * 1.07),
      bufferKbits: Math.round(videoKbps * 1.5),
    };
  });
}

const STANDARD_RATES = [24, 25, 30, 48, 50, 60];

/**
 * The constant output frame rate: a constant-rate source keeps its rate (capped
 * at 60); a variable-rate source is resampled to the lowest standard rate at or
 * above its average (a phone's 29.6 fps average becomes 30).
 */
export function outputFrameRate(averageFps: number | undefined, variable = false): number {
  if (!averageFps || !Number.isFinite(averageFps) || averageFps < 1) return 30;
  if (averageFps > 60) return 60;
  if (variable) return STANDARD_RATES.find((rate) => rate >= averageFps - 0.05) ?? 60;
  return Math.round(averageFps * 1000) / 1000;
}
