import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import path from "node:path";
import type { VideoProgressEvent, VideoView } from "../../shared/videos/video.types.js";
import { ClipFactory, ffprobeJson } from "../helpers/clips.js";
import { connectSocket } from "../helpers/sockets.js";
import type { TestUser } from "../helpers/users.js";
import { VideoHarness } from "./video-fixtures.js";

describe("videos: upload to ready", function () {
  this.timeout(120_000);
  let h: VideoHarness;
  let clips: ClipFactory;
  let owner: TestUser;

  before(async () => {
    h = await VideoHarness.start();
    clips = await ClipFactory.create();
    owner = await h.user();
  });
  after(async () => {
    await h.close();
    await clips.dispose();
  });

  it("a 20 s short: progress at least once a second to the uploader, ready with a playable master at a stable public URL", async () => {
    const file = await clips.clip("short-20", { width: 160, height: 284, seconds: 20 });
    const socket = await connectSocket(h.gatewayUrl, owner.accessToken);
    const progress: Array<VideoProgressEvent & { at: number }> = [];
    const statuses: string[] = [];
    socket.on("video:progress", (event) => progress.push({ ...event, at: Date.now() }));
    socket.on("video:status", (event) => statuses.push(event.status));
    try {
      const created = await h.createVideo(owner, file, { type: "short", title: "Twenty seconds", tags: ["Test", "shorts"] });
      assert.equal(created.status, "uploaded");
      assert.deepEqual(created.tags, ["test", "shorts"]);
      const video = await h.settled(owner, created.id);
      assert.equal(video.status, "ready", JSON.stringify(video));
      assert.ok(Math.abs(video.duration! - 20) < 0.2);
      assert.deepEqual(video.dimensions, { width: 160, height: 284 });
      assert.deepEqual(video.renditions.map((r) => `${r.name}:${r.width}x${r.height}`), ["160p:160x284"], "a source below 360p is its own single rung");
      assert.ok(video.playback && !video.playback.expiresAt, "public: stable URLs");
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(statuses.slice(-2), ["processing", "ready"]);
      const mine = progress.filter((event) => event.videoId === created.id);
      assert.ok(mine.length >= 2, `progress events: ${mine.length}`);
      assert.equal(mine.at(-1)!.percent, 100);
      for (let i = 1; i < mine.length; i++) assert.ok(mine[i]!.at - mine[i - 1]!.at < 1_600, `gap ${mine[i]!.at - mine[i - 1]!.at} ms`);
      assert.ok(mine.every((event, i) => i === 0 || event.percent >= mine[i - 1]!.percent), "percent never goes back");

      // The master playlist over HTTP: ffprobe reads every variant through the playback route.
      const masterUrl = h.local(video.playback.masterUrl);
      const probe = await ffprobeJson(masterUrl);
      assert.ok(probe.streams.some((s) => s.codec_type === "video" && s.height === 284));
      assert.ok(probe.streams.some((s) => s.codec_type === "audio"));
      const master = await fetch(masterUrl);
      assert.equal(master.headers.get("content-type"), "application/vnd.apple.mpegurl");
      assert.match(await master.text(), /BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,RESOLUTION=160x284,FRAME-RATE=30.000,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"/);
      const poster = await fetch(h.local(video.playback.posterUrl));
      assert.deepEqual([poster.status, poster.headers.get("content-type")], [200, "image/jpeg"]);
      // Nothing but the published version is left in storage.
      assert.deepEqual(await readdir(path.join(h.mediaDir, "videos", created.id)), [new URL(video.playback.masterUrl).pathname.split("/")[5]]);
    } finally {
      socket.close();
    }
  });

  it("a 45 s short is ready; a 70 s \"short\" fails with a reason; bad metadata is refused and nothing is created", async () => {
    const [ok, long] = await Promise.all([clips.clip("short-45", { width: 160, height: 284, seconds: 45 }), clips.clip("short-70", { width: 160, height: 284, seconds: 70 })]);
    const a = await h.createVideo(owner, ok, { type: "short" });
    const b = await h.createVideo(owner, long, { type: "short" });
    const [readyVideo, failedVideo] = await Promise.all([h.settled(owner, a.id), h.settled(owner, b.id)]);
    assert.equal(readyVideo.status, "ready");
    assert.equal(failedVideo.status, "failed");
    assert.match(failedVideo.failureReason!, /lasts 70\.0 s; the longest accepted is 60 s/);
    const uploadId = await h.upload(owner, ok);
    for (const body of [
      { uploadId, type: "short", title: "" },
      { uploadId, type: "clip", title: "x" },
      { uploadId, type: "short", title: "bad\u0000title" },
      { uploadId, type: "short", title: "x", $where: "1" },
      { uploadId, type: "short", title: "x", privacy: "friends" },
      { uploadId, type: "short", title: "x", tags: ["no spaces allowed"] },
    ]) {
      const res = await h.call("POST", "/api/videos", { token: owner.accessToken, body });
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    assert.equal((await h.call("POST", "/api/videos", { body: { uploadId, type: "short", title: "x" } })).status, 401);
    const mine = await h.call("GET", "/api/videos/mine?limit=50", { token: owner.accessToken });
    assert.equal(mine.body.items.filter((v: VideoView) => v.title === "x" || v.title === "").length, 0);
    const again = await h.call("POST", "/api/videos", { token: owner.accessToken, body: { uploadId, type: "long", title: "once" } });
    assert.equal(again.status, 201);
    const twice = await h.call("POST", "/api/videos", { token: owner.accessToken, body: { uploadId, type: "long", title: "twice" } });
    assert.equal(twice.status, 409);
    await h.settled(owner, again.body.video.id);
  });

  it("the corrupt corpus: every file ends failed with a readable reason, none ready, none left processing", async () => {
    const good = await clips.clip("good", { width: 320, height: 180, seconds: 2 });
    const fast = await clips.clip("good-fast", { width: 320, height: 180, seconds: 2, faststart: true });
    const corpus = [
      await clips.truncated("trunc.mp4", good, 0.5),
      await clips.truncated("trunc-front.mp4", fast, 0.6),
      await clips.bytes("zero.mp4", ""),
      await clips.bytes("text.mp4", "hello, this is text\n".repeat(100)),
      await clips.audioOnly("audio-only"),
      await clips.image("image"),
      await clips.huge("huge"),
      await clips.unknownCodec("codec", good),
    ];
    const videos = await Promise.all(corpus.map((file) => h.createVideo(owner, file)));
    const settled = await Promise.all(videos.map((video) => h.settled(owner, video.id)));
    const outcome = settled.map((video): [string, string] => [video.status, video.failureReason ?? ""]);
    for (const [status, reason] of outcome) {
      assert.equal(status, "failed", JSON.stringify(outcome));
      assert.ok(reason.length > 10 && reason.length < 300 && !reason.includes("/tmp/"), `readable reason: ${reason}`);
    }
    assert.match(outcome[6]![1]!, /16384×16384/);
    assert.match(outcome[4]![1]!, /no video stream/);
    assert.match(outcome[5]![1]!, /still image/);
    for (const video of videos) assert.deepEqual(await readdir(path.join(h.mediaDir, "videos", video.id)).catch(() => []), [], "no objects left by a failed job");
  });
});
