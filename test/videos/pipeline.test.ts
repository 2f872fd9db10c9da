import assert from "node:assert/strict";
import type { VideoProgressEvent, VideoView } from "../../shared/videos/video.types.js";
import { ClipFactory, ffprobeJson } from "../helpers/clips.js";
import { connectSocket } from "../helpers/sockets.js";
import type { TestUser } from "../helpers/users.js";
import { createUpload } from "../media/media-fixtures.js";
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

  it("a 20 s short created before its bytes arrive: uploading → uploaded (media.upload-ready) → processing with progress at least once a second → ready, playable at a stable public URL", async () => {
    const file = await clips.clip("short-20", { width: 160, height: 284, seconds: 20 });
    const socket = await connectSocket(h.gatewayUrl, owner.accessToken);
    const progress: Array<VideoProgressEvent & { at: number }> = [];
    const statuses: string[] = [];
    socket.on("video:progress", (event) => progress.push({ ...event, at: Date.now() }));
    socket.on("video:status", (event) => statuses.push(event.status));
    try {
      const created = await h.createVideo(owner, file, { type: "short", title: "Twenty seconds", tags: ["Test", "shorts"] });
      assert.equal(created.status, "uploading", "the upload is still pending when the video is created");
      assert.deepEqual(created.tags, ["test", "shorts"]);
      const video = await h.settled(owner, created.id);
      assert.equal(video.status, "ready", JSON.stringify(video));
      assert.ok(Math.abs(video.duration! - 20) < 0.2);
      assert.deepEqual(video.dimensions, { width: 160, height: 284 });
      assert.deepEqual(video.renditions.map((r) => `${r.name}:${r.width}x${r.height}`), ["160p:160x284"], "a source below 360p is its own single rung");
      assert.ok(video.playback && !video.playback.expiresAt, "public: stable URLs");
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(statuses.slice(-3), ["uploaded", "processing", "ready"]);
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
      const version = new URL(video.playback.masterUrl).pathname.split("/")[5]!;
      const keys = await h.videoKeys(created.id);
      assert.ok(keys.length > 3 && keys.every((key) => key.startsWith(`videos/${created.id}/${version}/`)), keys.join(", "));
    } finally {
      socket.close();
    }
  });

  it("a 45 s short from a ready upload goes straight to uploaded and is ready; a 70 s \"short\" fails with a reason; bad metadata and others' or wrong uploads are refused", async () => {
    const [ok, long] = await Promise.all([clips.clip("short-45", { width: 160, height: 284, seconds: 45 }), clips.clip("short-70", { width: 160, height: 284, seconds: 70 })]);
    const okUpload = await h.upload(owner, ok);
    assert.equal((await h.uploadSettled(owner, okUpload)).status, "ready");
    const a = await h.createFrom(owner, okUpload, { type: "short" });
    assert.equal(a.status, "uploaded", "a ready upload: queued at once");
    // Created before the media job probed it: the transcoder refuses it.
    const b = await h.createVideo(owner, long, { type: "short" });
    const [readyVideo, failedVideo] = await Promise.all([h.settled(owner, a.id), h.settled(owner, b.id)]);
    assert.equal(readyVideo.status, "ready");
    assert.equal(failedVideo.status, "failed");
    assert.match(failedVideo.failureReason!, /lasts 70\.0 s; the longest accepted is 60 s/);
    // Probed already: refused at creation, nothing created.
    const longUpload = await h.upload(owner, long);
    await h.uploadSettled(owner, longUpload);
    const refused = await h.call("POST", "/api/videos", { token: owner.accessToken, body: { uploadId: longUpload, type: "short", title: "Too long" } });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /this upload lasts 70\.0 s/);

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
    // Someone else's upload is not found; an upload for another purpose is refused.
    const stranger = await h.user();
    assert.equal((await h.call("POST", "/api/videos", { token: stranger.accessToken, body: { uploadId, type: "long", title: "Not mine" } })).status, 404);
    const chatUpload = await h.services.media.createUpload(owner.userId, { purpose: "chat", mimeType: "video/mp4", size: 1000 });
    const wrongPurpose = await h.call("POST", "/api/videos", { token: owner.accessToken, body: { uploadId: chatUpload.upload.id, type: "long", title: "Chat video" } });
    assert.equal(wrongPurpose.status, 400);
    assert.match(wrongPurpose.body.error.message, /for chat, not video/);
    const mine = await h.call("GET", "/api/videos/mine?limit=50", { token: owner.accessToken });
    assert.equal(mine.body.items.filter((v: VideoView) => ["x", "", "Too long", "Not mine", "Chat video"].includes(v.title)).length, 0);
    const again = await h.call("POST", "/api/videos", { token: owner.accessToken, body: { uploadId, type: "long", title: "once" } });
    assert.equal(again.status, 201);
    const twice = await h.call("POST", "/api/videos", { token: owner.accessToken, body: { uploadId, type: "long", title: "twice" } });
    assert.equal(twice.status, 409);
    await h.settled(owner, again.body.video.id);
  });

  it("the corrupt corpus through a real upload: every file ends failed with a readable reason (at the media check or the transcoder), none ready, none left processing", async () => {
    const good = await clips.clip("good", { width: 320, height: 180, seconds: 2 });
    const fast = await clips.clip("good-fast", { width: 320, height: 180, seconds: 2, faststart: true });
    // Zero bytes: refused when the upload is created, so no video can be made from it.
    const empty = await createUpload(h.baseUrl, owner.accessToken, { purpose: "video", mimeType: "video/mp4", size: 0 });
    assert.equal(empty.status, 400);
    const corpus = [
      await clips.truncated("trunc.mp4", good, 0.5),
      await clips.truncated("trunc-front.mp4", fast, 0.6),
      await clips.bytes("text.mp4", "hello, this is text\n".repeat(100)),
      await clips.audioOnly("audio-only"),
      await clips.image("image"),
      await clips.huge("huge"),
      await clips.unknownCodec("codec", good),
      // A well-formed video the media check accepts, refused by the transcoder's own limits.
      await clips.clip("too-wide", { width: 4104, height: 64, seconds: 2 }),
    ];
    const videos = await Promise.all(corpus.map((file) => h.createVideo(owner, file)));
    const settled = await Promise.all(videos.map((video) => h.settled(owner, video.id)));
    const outcome = settled.map((video): [string, string] => [video.status, video.failureReason ?? ""]);
    for (const [status, reason] of outcome) {
      assert.equal(status, "failed", JSON.stringify(outcome));
      assert.ok(reason.length > 10 && reason.length < 300 && !reason.includes("/tmp/"), `readable reason: ${reason}`);
    }
    const reasons = outcome.map(([, reason]) => reason);
    assert.match(reasons[0]!, /^The upload failed: the file could not be probed: moov atom not found$/, "truncated, without ffmpeg's noise");
    assert.match(reasons[1]!, /^The upload failed: the file is truncated or corrupt$/, "truncated behind an intact index");
    assert.match(reasons[2]!, /^The upload failed: the bytes are not of a known type/, "text: its bytes are not a video");
    assert.match(reasons[3]!, /^The upload failed: the video has no video stream$/);
    assert.match(reasons[4]!, /^The upload failed: the bytes are image\/png/);
    assert.match(reasons[5]!, /^The upload failed: the bytes are not of a known type/, "16384×16384 YUV4MPEG2 claimed as MP4");
    assert.match(reasons[6]!, /^The upload failed: the file is truncated or corrupt$/, "unknown codec: its tail does not decode");
    assert.equal(reasons[7], "The video is 4104×64; the largest accepted frame side is 4096 pixels");
    for (const video of videos) assert.deepEqual(await h.videoKeys(video.id), [], "no objects left by a failed job");
  });
});
