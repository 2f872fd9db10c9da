import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { planLadder } from "../../shared/videos/ladder.js";
import { parseMediaPlaylist } from "../../shared/videos/hls-output.js";
import { TranscodeError } from "../../shared/videos/transcoder.js";
import { encodeVideo, type EncodeResult } from "../../shared/videos/video-encoder.js";
import { ClipFactory, ffprobeJson, keyframeTimes } from "../helpers/clips.js";

const limits = { maxDimension: 7680, maxDurationSeconds: 3600, minDurationSeconds: 1 };
const encode = { preset: "ultrafast", threads: 0 };

describe("video transcoder: the ladder plan", () => {
  const rungs = (width: number, height: number) => planLadder({ width, height, fps: 30 }).map((rung) => `${rung.width}x${rung.height}`);

  it("gives a 1080p source all four rungs and a 4K source the same four", () => {
    assert.deepEqual(rungs(1920, 1080), ["1920x1080", "1280x720", "854x480", "640x360"]);
    assert.deepEqual(rungs(3840, 2160), ["1920x1080", "1280x720", "854x480", "640x360"]);
  });

  it("never upscales and adds the source's own size between two steps", () => {
    assert.deepEqual(rungs(1280, 720), ["1280x720", "854x480", "640x360"]);
    assert.deepEqual(rungs(1066, 600), ["1066x600", "852x480", "640x360"]);
    assert.deepEqual(rungs(320, 180), ["320x180"]);
    assert.deepEqual(rungs(644, 362), ["640x360"], "a near-duplicate of the step below is not a rung");
  });

  it("names portrait rungs by their short side", () => {
    assert.deepEqual(rungs(1080, 1920), ["1080x1920", "720x1280", "480x854", "360x640"]);
    assert.deepEqual(planLadder({ width: 1080, height: 1920, fps: 30 }).map((rung) => rung.name), ["1080p", "720p", "480p", "360p"]);
  });
});

describe("video transcoder: one ffmpeg pass", function () {
  this.timeout(90_000);
  let clips: ClipFactory;
  before(async () => (clips = await ClipFactory.create()));
  after(async () => clips.dispose());

  async function encodeClip(name: string, input: string): Promise<EncodeResult & { dir: string }> {
    const dir = path.join(clips.dir, `out-${name}`);
    return { ...(await encodeVideo({ input, outputDir: dir, limits, encode })), dir };
  }

  it("1080p landscape: four rungs, keyframes every 2 s on every rung, equal segment boundaries, a full master", async () => {
    const input = await clips.clip("landscape-1080", { width: 1920, height: 1080, seconds: 4 });
    const progress: number[] = [];
    const dir = path.join(clips.dir, "out-1080");
    const result = await encodeVideo({ input, outputDir: dir, limits, encode, onProgress: ({ percent }) => progress.push(percent) });
    assert.deepEqual(result.report.renditions.map((r) => r.name), ["1080p", "720p", "480p", "360p"]);
    assert.ok(progress.length >= 3 && progress.at(-1)! >= 90, `progress ${progress.join(",")}`);
    for (const rung of result.report.renditions) {
      const times = await keyframeTimes(path.join(dir, rung.name, "index.m3u8"));
      assert.deepEqual(times.map((t) => Math.round((t - times[0]!) * 100) / 100), [0, 2], `keyframes of ${rung.name}`);
      const playlist = parseMediaPlaylist(await readFile(path.join(dir, rung.name, "index.m3u8"), "utf8"));
      assert.deepEqual(playlist.segments.map((s) => s.duration), [2, 2]);
    }
    const master = await readFile(path.join(dir, "master.m3u8"), "utf8");
    const variants = master.split("\n").filter((line) => line.startsWith("#EXT-X-STREAM-INF:"));
    assert.equal(variants.length, 4);
    for (const line of variants) for (const attribute of ["BANDWIDTH=", "RESOLUTION=", "FRAME-RATE=30.000", 'CODECS="avc1.', "mp4a.40.2", 'AUDIO="audio"']) assert.ok(line.includes(attribute), `${attribute} in ${line}`);
    const probe = await ffprobeJson(path.join(dir, "master.m3u8"));
    const heights = probe.streams.filter((s) => s.codec_type === "video").map((s) => s.height);
    assert.deepEqual([...new Set(heights)].sort(), [1080, 360, 480, 720].sort());
    assert.ok(probe.streams.some((s) => s.codec_type === "audio"));
    assert.ok(result.report.files.includes("poster.jpg") && result.report.files.includes("storyboard.jpg"));
  });

  it("720p: three rungs, none above the source", async () => {
    const result = await encodeClip("720", await clips.clip("landscape-720", { width: 1280, height: 720, seconds: 2 }));
    assert.deepEqual(result.report.renditions.map((r) => `${r.width}x${r.height}`), ["1280x720", "854x480", "640x360"]);
  });

  it("portrait 1080×1920: four portrait rungs", async () => {
    const result = await encodeClip("portrait", await clips.clip("portrait", { width: 1080, height: 1920, seconds: 2 }));
    assert.deepEqual(result.report.renditions.map((r) => `${r.name}:${r.width}x${r.height}`), ["1080p:1080x1920", "720p:720x1280", "480p:480x854", "360p:360x640"]);
  });

  it("480p without audio: two rungs and no audio group", async () => {
    const result = await encodeClip("480-silent", await clips.clip("silent", { width: 854, height: 480, seconds: 2, audio: false }));
    assert.deepEqual(result.report.renditions.map((r) => r.name), ["480p", "360p"]);
    assert.equal(result.report.audio, null);
    const master = await readFile(path.join(result.dir, "master.m3u8"), "utf8");
    assert.ok(!master.includes("AUDIO") && !master.includes("mp4a"), master);
  });

  it("a rotated source is encoded upright", async () => {
    const result = await encodeClip("rotated", await clips.clip("rotated", { width: 640, height: 360, seconds: 2, rotate: 90 }));
    assert.equal(result.source.rotation, 90);
    assert.deepEqual(result.report.renditions.map((r) => `${r.width}x${r.height}`), ["360x640"]);
    const probe = await ffprobeJson(path.join(result.dir, "360p", "index.m3u8"));
    assert.equal(probe.streams[0]?.width, 360);
  });

  it("a variable-frame-rate source comes out at a constant rate", async () => {
    const result = await encodeClip("vfr", await clips.clip("vfr", { width: 640, height: 360, seconds: 2, variableFrameRate: true }));
    assert.equal(result.source.variableFrameRate, true);
    const probe = await ffprobeJson(path.join(result.dir, "360p", "index.m3u8"), ["-count_packets"]);
    const video = probe.streams.find((s) => s.codec_type === "video")!;
    assert.equal(result.plan.fps, 24, "the average rate (about 21 fps) snaps up to a standard rate");
    assert.equal(video.avg_frame_rate, "24/1");
    // The source's last frames may have been dropped too, so it can end a little early.
    assert.ok(Number(video.nb_read_packets) >= 44 && Number(video.nb_read_packets) <= 49, `packets ${String(video.nb_read_packets)}`);
  });

  it("refuses every file of the corrupt corpus with a readable reason", async () => {
    const good = await clips.clip("good", { width: 320, height: 180, seconds: 2 });
    const fast = await clips.clip("good-faststart", { width: 320, height: 180, seconds: 2, faststart: true });
    const corpus: Array<[string, string, RegExp]> = [
      ["truncated (index at the end)", await clips.truncated("trunc-end.mp4", good, 0.5), /not a readable video/],
      ["truncated (index at the front)", await clips.truncated("trunc-front.mp4", fast, 0.5), /lasts|frames|segments|ffmpeg failed/],
      ["zero bytes", await clips.bytes("empty.mp4", ""), /not a readable video/],
      ["text renamed .mp4", await clips.bytes("text.mp4", "this is not a video\n".repeat(50)), /not a readable video/],
      ["audio only", await clips.audioOnly("audio"), /audio but no video/],
      ["a single image", await clips.image("image"), /still image/],
      ["16k × 16k", await clips.huge("huge"), /16384×16384.*largest accepted/],
      ["unsupported codec", await clips.unknownCodec("codec", good), /Unsupported video codec|not a readable video/],
    ];
    for (const [label, input, reason] of corpus) {
      await assert.rejects(
        encodeVideo({ input, outputDir: path.join(clips.dir, "out-corrupt"), limits, encode }),
        (error: unknown) => {
          assert.ok(error instanceof TranscodeError, `${label}: ${String(error)}`);
          assert.match(error.message, reason, label);
          return true;
        },
        label,
      );
    }
  });
});
