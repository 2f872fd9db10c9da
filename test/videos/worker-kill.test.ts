import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ClipFactory } from "../helpers/clips.js";
import { waitFor } from "../helpers/ports.js";
import { spawnRole, stopAllRoles } from "../helpers/processes.js";
import { videoEnv, VideoHarness } from "./video-fixtures.js";

const run = promisify(execFile);

/** Processes whose command line mentions `needle` (the transcode's work directory names the video). */
async function processesMentioning(needle: string): Promise<Array<{ pid: number; pgid: number; args: string }>> {
  const { stdout } = await run("ps", ["-eo", "pid=,pgid=,args="]);
  return stdout
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null && match[3]!.includes(needle) && !match[3]!.startsWith("ps "))
    .map((match) => ({ pid: Number(match[1]), pgid: Number(match[2]), args: match[3]! }));
}

describe("videos: a worker killed mid-transcode", function () {
  this.timeout(120_000);
  let h: VideoHarness;
  let clips: ClipFactory;

  before(async () => {
    // Uploads are checked in-process (media, events); transcoding happens only in the spawned workers.
    h = await VideoHarness.start({ queues: "media,events" });
    clips = await ClipFactory.create();
  });
  after(async () => {
    await stopAllRoles();
    await h.close();
    await clips.dispose();
  });

  it("SIGKILL: ffmpeg dies with the worker, the stalled job is picked up by another worker and the video is ready, no ffmpeg left", async () => {
    const env = { ...videoEnv(h.mediaDir), WORKER_QUEUES: "transcode", WORKER_LOCK_MS: "2000", LOG_LEVEL: "error" };
    const owner = await h.user();
    const file = await clips.clip("kill-720", { width: 1280, height: 720, seconds: 12 });
    const first = await spawnRole("worker", env);
    const video = await h.createVideo(owner, file);

    let ffmpeg: Array<{ pid: number; pgid: number; args: string }> = [];
    await waitFor(async () => (ffmpeg = (await processesMentioning(video.id)).filter((p) => p.args.includes("ffmpeg"))).length > 0, 30_000, "ffmpeg to start");
    assert.ok(ffmpeg.every((p) => p.pgid !== first.child.pid), "ffmpeg runs in its own process group");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    first.kill("SIGKILL");
    await first.exited;
    await waitFor(async () => (await processesMentioning(video.id)).length === 0, 5_000, "ffmpeg to die with its worker");
    assert.equal((await h.services.videos.videos.get(owner.userId, video.id)).status, "processing");

    const second = await spawnRole("worker", env);
    const done = await h.settled(owner, video.id, 90_000);
    assert.equal(done.status, "ready", JSON.stringify(done));
    assert.deepEqual(done.renditions.map((r) => r.name), ["720p", "480p", "360p"]);
    assert.deepEqual(await processesMentioning(video.id), [], "no ffmpeg left behind");
    // The killed attempt's partial version was removed; only the published one remains.
    const version = new URL(done.playback!.masterUrl).pathname.split("/")[5]!;
    const keys = await h.videoKeys(video.id);
    assert.ok(keys.length > 0 && keys.every((key) => key.startsWith(`videos/${video.id}/${version}/`)), keys.join(", "));
    await second.stop();
  });
});
