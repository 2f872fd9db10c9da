import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { DeliveryJob } from "../../shared/events/event-bus.js";
import { VideoRepository } from "../../shared/videos/video.repository.js";
import type { VideoDoc } from "../../shared/videos/video.types.js";
import { ClipFactory, ffprobeJson } from "../helpers/clips.js";
import { waitFor } from "../helpers/ports.js";
import { startS3Server, type TestS3Server } from "../helpers/s3-server.js";
import type { TestUser } from "../helpers/users.js";
import { VideoHarness } from "./video-fixtures.js";

/** A video document waiting for its upload, as an earlier process left it. */
function waiting(userId: string, uploadId: string, updatedAt: Date): VideoDoc {
  return {
    _id: randomUUID(), userId, type: "long", title: "Waiting", description: "", tags: [], privacy: "public", status: "uploading",
    source: { uploadId }, renditions: [], stats: { viewCount: 0, likeCount: 0, commentCount: 0, shareCount: 0, watchTimeSeconds: 0, completedViewCount: 0 },
    trendingScore: 0, needsTrendingUpdate: false, isDeleted: false, createdAt: updatedAt, updatedAt,
  };
}

describe("videos: the source is a media upload", function () {
  this.timeout(120_000);
  let clips: ClipFactory;

  before(async () => {
    clips = await ClipFactory.create();
  });
  after(async () => {
    await clips.dispose();
  });

  describe("local storage", () => {
    let h: VideoHarness;
    let owner: TestUser;

    before(async () => {
      // No transcode worker: these tests look at the states before the job, and enqueue it themselves.
      h = await VideoHarness.start({ queues: "media,events" });
      owner = await h.user();
    });
    after(async () => {
      await h.close();
    });

    it("media.upload-ready delivered again (the events queue's job, a retry) moves the video once and queues one job", async () => {
      const file = await clips.clip("redeliver", { width: 160, height: 90, seconds: 2 });
      const video = await h.createVideo(owner, file);
      assert.equal(video.status, "uploading");
      const uploadId = (await new VideoRepository(h.platform.mongo.db).findById(video.id))!.source.uploadId;
      await h.uploadSettled(owner, uploadId);
      // The inline subscriber ran in the media job's process: the video is uploaded, its job queued.
      await waitFor(async () => (await h.services.videos.videos.get(owner.userId, video.id)).status === "uploaded", 20_000, "the video to be uploaded");
      const job: DeliveryJob = { eventId: randomUUID(), name: "media.upload-ready", subscriber: "videos.source-ready", payload: { uploadId, ownerId: owner.userId, purpose: "video" }, at: new Date().toISOString() };
      for (let i = 0; i < 3; i++) assert.deepEqual(await h.services.events.deliver(job, h.platform.logger), { delivered: "videos.source-ready" });
      assert.equal((await h.services.videos.videos.get(owner.userId, video.id)).status, "uploaded");
      const queue = h.platform.jobs.queue("transcode");
      const waitingJobs = (await queue.getJobs(["waiting", "delayed", "prioritized"])).filter((j) => (j.data as { videoId?: string }).videoId === video.id);
      assert.equal(waitingJobs.length, 1, "one transcode job, whatever the number of deliveries");
      // Another purpose's event is not the videos domain's business.
      const chat = { ...job, eventId: randomUUID(), payload: { uploadId: randomUUID(), ownerId: owner.userId, purpose: "chat" } };
      assert.deepEqual(await h.services.events.deliver(chat, h.platform.logger), { delivered: "videos.source-ready" });
      await queue.remove(waitingJobs[0]!.id!);
    });

    it("the refresh sweep settles videos left uploading: a ready upload is queued, a failed or missing one fails the video", async () => {
      const repository = new VideoRepository(h.platform.mongo.db);
      const old = new Date(Date.now() - 3600_000);
      const good = await h.upload(owner, await clips.clip("sweep-good", { width: 160, height: 90, seconds: 2 }));
      const bad = await h.upload(owner, await clips.truncated("sweep-bad.mp4", await clips.clip("sweep-src", { width: 160, height: 90, seconds: 2 }), 0.5));
      assert.equal((await h.uploadSettled(owner, good)).status, "ready");
      assert.equal((await h.uploadSettled(owner, bad)).status, "failed");
      // Their events came and went before these documents existed (a lost event, as far as the videos know):
      // the media jobs are over, so their inline subscribers have run.
      for (const id of [good, bad]) await waitFor(async () => (await h.platform.jobs.queue("media").getJobState(`media-${id}`)) === "completed", 10_000, "the media job to finish");
      // And one whose bytes have not arrived yet (a long resumable upload).
      const pending = (await h.services.media.createUpload(owner.userId, { purpose: "video", mimeType: "video/mp4", size: 1000 })).upload.id;
      const [readyOne, failedOne, goneOne, pendingOne] = [good, bad, randomUUID(), pending].map((uploadId) => waiting(owner.userId, uploadId, old));
      for (const doc of [readyOne!, failedOne!, goneOne!, pendingOne!]) await repository.insert(doc);
      assert.equal(await h.services.videos.videos.sweepUploading(new Date(Date.now() - 60_000)), 3);
      const stillWaiting = (await repository.findById(pendingOne!._id))!;
      assert.equal(stillWaiting.status, "uploading");
      assert.ok(stillWaiting.updatedAt > old, "looked at: the next sweep starts with the others");
      assert.equal(await h.services.videos.videos.sweepUploading(new Date(Date.now() - 60_000)), 0);
      const status = async (id: string) => h.services.videos.videos.get(owner.userId, id);
      assert.equal((await status(readyOne!._id)).status, "uploaded");
      assert.equal((await h.platform.jobs.queue("transcode").getJobState(`transcode-${readyOne!._id}`)) !== "unknown", true, "queued");
      const failed = await status(failedOne!._id);
      assert.equal(failed.status, "failed");
      assert.match(failed.failureReason!, /^The upload failed: the file could not be probed: moov atom not found$/);
      assert.equal((await status(goneOne!._id)).failureReason, "The upload failed: the upload is gone");
      await h.platform.jobs.queue("transcode").remove(`transcode-${readyOne!._id}`);
    });

    it("deleting a video releases its upload; creating one from an upload already failed is refused with its reason", async () => {
      const file = await clips.clip("release", { width: 160, height: 90, seconds: 2 });
      const uploadId = await h.upload(owner, file);
      await h.uploadSettled(owner, uploadId);
      const video = await h.createFrom(owner, uploadId);
      assert.equal(video.status, "uploaded");
      assert.ok(await h.services.media.readyObjectKey(owner.userId, uploadId, "video"), "in use: its bytes are there");
      assert.equal((await h.call("DELETE", `/api/videos/${video.id}`, { token: owner.accessToken })).status, 204);
      assert.equal(await h.services.media.readyObjectKey(owner.userId, uploadId, "video"), null, "released (purged after the retention period)");
      await h.platform.jobs.queue("transcode").remove(`transcode-${video.id}`);

      const broken = await h.upload(owner, await clips.bytes("not-a-video.mp4", "plain text, not a video\n".repeat(50)));
      assert.equal((await h.uploadSettled(owner, broken)).status, "failed");
      const refused = await h.call("POST", "/api/videos", { token: owner.accessToken, body: { uploadId: broken, type: "long", title: "Broken" } });
      assert.equal(refused.status, 400);
      assert.match(refused.body.error.message, /^The upload cannot be used: the bytes are not of a known type/);
    });
  });

  describe("S3 storage (s3rver)", () => {
    let s3: TestS3Server;
    let h: VideoHarness;

    before(async () => {
      s3 = await startS3Server();
      h = await VideoHarness.start({
        env: { MEDIA_STORAGE: "s3", S3_ENDPOINT: s3.endpoint, S3_BUCKET: s3.bucket, S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey, S3_FORCE_PATH_STYLE: "true" },
      });
    });
    after(async () => {
      await h.close();
      await s3.stop();
    });

    it("a presigned PUT to the bucket, the source downloaded from it, the version written to it and played back from it", async () => {
      const owner = await h.user();
      const video = await h.createVideo(owner, await clips.clip("s3", { width: 320, height: 180, seconds: 4 }));
      assert.equal(video.status, "uploading");
      const done = await h.settled(owner, video.id);
      assert.equal(done.status, "ready", JSON.stringify(done));
      const version = new URL(done.playback!.masterUrl).pathname.split("/")[5]!;
      const keys = await h.videoKeys(video.id);
      assert.ok(keys.includes(`videos/${video.id}/${version}/master.m3u8`) && keys.every((key) => key.startsWith(`videos/${video.id}/${version}/`)), keys.join(", "));
      const probe = await ffprobeJson(h.local(done.playback!.masterUrl));
      assert.ok(probe.streams.some((s) => s.codec_type === "video" && s.height === 180));
    });
  });
});
