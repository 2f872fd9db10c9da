import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { PlaybackGrants } from "../../shared/videos/playback-grant.js";
import { trendingComponents } from "../../shared/videos/trending.js";
import { createVideoModule } from "../../shared/videos/video.module.js";
import { VideoRepository } from "../../shared/videos/video.repository.js";
import type { VideoDoc, VideoView } from "../../shared/videos/video.types.js";
import { ClipFactory } from "../helpers/clips.js";
import { waitFor } from "../helpers/ports.js";
import type { TestUser } from "../helpers/users.js";
import { VideoHarness } from "./video-fixtures.js";

describe("videos: privacy, analytics and trending", function () {
  this.timeout(90_000);
  let h: VideoHarness;
  let clips: ClipFactory;
  let owner: TestUser;
  let other: TestUser;
  let long: VideoView;
  let short: VideoView;

  before(async () => {
    h = await VideoHarness.start();
    clips = await ClipFactory.create();
    [owner, other] = await Promise.all([h.user(), h.user()]);
    const [longFile, shortFile] = await Promise.all([
      clips.clip("long", { width: 320, height: 180, seconds: 4 }),
      clips.clip("short", { width: 160, height: 284, seconds: 16 }),
    ]);
    const [a, b] = await Promise.all([
      h.createVideo(owner, longFile, { title: "Zebra migration documentary", tags: ["nature"] }),
      h.createVideo(owner, shortFile, { type: "short", title: "Quick zebra short" }),
    ]);
    [long, short] = await Promise.all([h.settled(owner, a.id), h.settled(owner, b.id)]);
    assert.equal(long.status, "ready");
    assert.equal(short.status, "ready");
  });
  after(async () => {
    await h.close();
    await clips.dispose();
  });

  const get = (user: TestUser | undefined, id: string) => h.call("GET", `/api/videos/${id}`, { token: user?.accessToken });
  const status = async (url: string) => (await fetch(h.local(url))).status;
  const patch = (id: string, body: unknown) => h.call("PATCH", `/api/videos/${id}`, { token: owner.accessToken, body });

  it("private and unlisted playlists and segments are unreachable without a valid signature; public URLs are stable", async () => {
    const publicView = (await get(undefined, long.id)).body.video as VideoView;
    const stableMaster = publicView.playback!.masterUrl;
    assert.equal(stableMaster, (await get(other, long.id)).body.video.playback.masterUrl, "the same URL for everyone");
    assert.equal(await status(stableMaster), 200);

    assert.equal((await patch(long.id, { privacy: "private" })).status, 200);
    assert.equal((await get(other, long.id)).status, 404);
    assert.equal((await get(undefined, long.id)).status, 404);
    assert.equal(await status(stableMaster), 403, "the stable URL stops working once private");
    const signed = ((await get(owner, long.id)).body.video as VideoView).playback!;
    assert.ok(signed.expiresAt && Date.parse(signed.expiresAt) > Date.now());
    // Every playlist and segment resolves relative to the signed master.
    const master = await (await fetch(h.local(signed.masterUrl))).text();
    const variant = new URL(master.split("\n").find((line) => line.endsWith("index.m3u8") && !line.startsWith("#"))!, h.local(signed.masterUrl));
    const playlist = await fetch(variant);
    assert.equal(playlist.status, 200);
    const segment = new URL((await playlist.text()).split("\n").find((line) => line.endsWith(".ts"))!, variant);
    const segmentResponse = await fetch(segment);
    assert.deepEqual([segmentResponse.status, segmentResponse.headers.get("content-type")], [200, "video/mp2t"]);
    assert.ok((await segmentResponse.arrayBuffer()).byteLength > 1000);
    const ranged = await fetch(segment, { headers: { range: "bytes=0-187" } });
    assert.deepEqual([ranged.status, (await ranged.arrayBuffer()).byteLength], [206, 188]);

    const grant = new URL(h.local(signed.masterUrl)).pathname.split("/")[5]!;
    const [version, expiresAt] = grant.split(".");
    const tampered = segment.href.replace(grant, `${version}.${Number(expiresAt) + 1000}.${grant.split(".")[2]}`);
    const expired = new PlaybackGrants(h.platform.config.JWT_SECRET).signed(long.id, version!, Math.floor(Date.now() / 1000) - 5);
    for (const url of [tampered, segment.href.replace(grant, version!), segment.href.replace(grant, expired), segment.href.replace(long.id, short.id)]) {
      assert.ok([403, 404].includes((await fetch(url)).status), url);
    }
    assert.equal((await fetch(segment.href.replace(grant, expired))).status, 403);
    assert.equal((await fetch(`${h.baseUrl}/api/videos/${long.id}/hls/${grant}/..%2F..%2Fsecret`)).status, 404);

    assert.equal((await patch(long.id, { privacy: "unlisted" })).status, 200);
    const byLink = (await get(other, long.id)).body.video as VideoView;
    assert.ok(byLink.playback?.expiresAt, "unlisted: reachable by its link, with signed URLs");
    assert.equal(await status(byLink.playback!.masterUrl), 200);
    assert.equal(await status(stableMaster), 403);
    const search = await h.call("GET", "/api/videos/search?q=zebra", { token: other.accessToken });
    assert.deepEqual(search.body.items.map((v: VideoView) => v.id), [short.id], "unlisted videos are not listed");
    const listed = await h.call("GET", `/api/videos/users/${owner.userId}`, { token: other.accessToken });
    assert.ok(!listed.body.items.some((v: VideoView) => v.id === long.id));

    assert.equal((await patch(long.id, { privacy: "public" })).status, 200);
    assert.equal(await status(stableMaster), 200);
    await h.services.blocks.block({ userId: owner.userId, sessionId: owner.sessionId, roles: [] }, other.userId);
    assert.equal((await get(other, long.id)).status, 404, "blocked: not visible");
    assert.deepEqual((await h.call("GET", "/api/videos/search?q=zebra", { token: other.accessToken })).body.items, []);
    assert.equal((await h.call("GET", "/api/videos/search?q=zebra")).body.items.length, 2);
    await h.services.blocks.unblock({ userId: owner.userId, sessionId: owner.sessionId, roles: [] }, other.userId);
    assert.equal((await get(other, long.id)).status, 200);

    for (const body of [{}, { privacy: "friends" }, { title: "x", owner: "me" }, { tags: "one" }]) assert.equal((await patch(long.id, body)).status, 400, JSON.stringify(body));
    assert.equal((await h.call("PATCH", `/api/videos/${long.id}`, { token: other.accessToken, body: { title: "mine now" } })).status, 404);
    assert.equal((await h.call("DELETE", `/api/videos/${long.id}`, { token: other.accessToken })).status, 404);
  });

  it("views count after 10 s watched (half of a short), once per viewer per hour; watch time and completion accrue", async () => {
    let now = Date.now();
    const module = createVideoModule({ config: h.platform.config, db: h.platform.mongo.db, redis: h.platform.redis, jobs: h.platform.jobs, realtime: h.platform.realtime, access: h.services.access, events: h.services.events, logger: h.platform.logger, storage: h.services.storage, media: h.services.media, clock: () => now });
    const { engagement } = module.services;
    const session = randomBytes(9).toString("base64url");
    const beat = (user: TestUser | undefined, watchedSeconds: number, positionSeconds: number, advanceMs: number) => {
      now += advanceMs;
      return engagement.heartbeat(user?.userId, short.id, { sessionId: session, watchedSeconds, positionSeconds });
    };
    // The short lasts 16 s: a view counts at 8 s watched.
    assert.equal((await beat(other, 20, 0, 0)).counted, false, "the first heartbeat only starts the clock");
    assert.equal((await beat(other, 5, 5, 5_000)).counted, false);
    const third = await beat(other, 30, 9, 1_000);
    assert.equal(third.counted, true, "5 s + at most 1 s of wall time + 2 s slack = 8 s");
    assert.equal((await beat(other, 5, 15, 5_000)).counted, false, "one view per hour");
    assert.equal((await beat(undefined, 0, 0, 0)).counted, false);
    assert.equal((await beat(undefined, 9, 9, 9_000)).counted, true, "an anonymous session counts on its own");
    assert.equal((await beat(other, 0, 0, 3_600_000)).counted, false, "a new hour starts a new window");
    assert.equal((await beat(other, 10, 10, 10_000)).counted, true);
    const stats = await h.call("GET", `/api/videos/${short.id}/stats`, { token: owner.accessToken });
    assert.equal(stats.body.stats.viewCount, 3);
    assert.equal(stats.body.stats.watchTimeSeconds, 5 + 3 + 5 + 9 + 10);
    assert.ok(Math.abs(stats.body.stats.completionRate - 1 / 3) < 1e-9, "one completed view (position past 90 %) of three");
    assert.equal((await h.call("GET", `/api/videos/${short.id}/stats`, { token: other.accessToken })).status, 404);

    for (const body of [{ sessionId: session, watchedSeconds: 31, positionSeconds: 0 }, { sessionId: session, watchedSeconds: -1, positionSeconds: 0 }, { sessionId: "x", watchedSeconds: 1, positionSeconds: 0 }, { sessionId: session, watchedSeconds: 1, positionSeconds: 0, extra: 1 }]) {
      assert.equal((await h.call("POST", `/api/videos/${short.id}/views`, { token: other.accessToken, body })).status, 400, JSON.stringify(body));
    }
    assert.equal((await h.call("POST", `/api/videos/${short.id}/views`, { body: { sessionId: session, watchedSeconds: 1, positionSeconds: 1 } })).status, 200);
  });

  it("likes, shares and comments keep exact counters under retries and races", async () => {
    const call = (method: string, route: string, user: TestUser, body?: unknown) => h.call(method, `/api/videos/${long.id}${route}`, { token: user.accessToken, body });
    const liked: Array<{ userId: string; ownerId: string }> = [];
    const commented: string[] = [];
    h.services.events.durable("video.liked", "test-video-liked", async (payload) => void liked.push(payload), { inline: true });
    h.services.events.durable("video.commented", "test-video-commented", async (payload) => void commented.push(payload.preview), { inline: true });
    await Promise.all(Array.from({ length: 5 }, () => call("POST", "/likes", other)));
    await call("POST", "/likes", owner);
    await Promise.all([call("POST", "/shares", other), call("POST", "/shares", other)]);
    const clientId = randomBytes(8).toString("hex");
    const [c1, c2] = await Promise.all([call("POST", "/comments", other, { clientId, text: "Lovely zebras" }), call("POST", "/comments", other, { clientId, text: "Lovely zebras" })]);
    assert.equal(c1.body.comment.id, c2.body.comment.id);
    assert.equal((await call("POST", "/comments", other, { clientId: "short", text: "x" })).status, 400);
    assert.equal((await call("POST", "/comments", other, { clientId, text: "bad\u0007" })).status, 400);
    let video = (await get(owner, long.id)).body.video as VideoView;
    assert.deepEqual(video.stats, { viewCount: 0, likeCount: 2, commentCount: 1, shareCount: 1 });
    assert.deepEqual(liked.map((e) => e.userId).sort(), [other.userId, owner.userId].sort(), "video.liked once per new like");
    assert.ok(liked.every((e) => e.ownerId === owner.userId));
    assert.deepEqual(commented, ["Lovely zebras"], "video.commented once for a retried comment");
    await Promise.all([call("DELETE", "/likes", other), call("DELETE", "/likes", other)]);
    assert.equal((await call("DELETE", `/comments/${encodeURIComponent(c1.body.comment.id)}`, owner)).status, 204, "the video's owner may delete a comment");
    assert.equal((await call("DELETE", `/comments/${encodeURIComponent(c1.body.comment.id)}`, owner)).status, 404);
    video = (await get(owner, long.id)).body.video as VideoView;
    assert.deepEqual(video.stats, { viewCount: 0, likeCount: 1, commentCount: 0, shareCount: 1 });
    assert.equal(await h.services.videos.engagement.recount(long.id), false, "counters agree with the documents");
  });

  it("trending: the seed formula with components in 0-1, and the shorts feed reads it in order", async () => {
    const now = new Date();
    const hours = (n: number) => new Date(now.getTime() - n * 3600_000);
    const creator = await h.user();
    const repository = new VideoRepository(h.platform.mongo.db);
    const fixture = (name: string, publishedAt: Date, stats: Partial<VideoDoc["stats"]>): VideoDoc => ({
      _id: randomUUID(), userId: creator.userId, type: "short", title: `Fixture ${name}`, description: "", tags: [], privacy: "public", status: "ready",
      source: { uploadId: randomBytes(9).toString("base64url") }, version: "fixture-version", renditions: [], duration: 30,
      stats: { viewCount: 0, likeCount: 0, commentCount: 0, shareCount: 0, watchTimeSeconds: 0, completedViewCount: 0, ...stats },
      trendingScore: 0, needsTrendingUpdate: true, isDeleted: false, publishedAt, createdAt: publishedAt, updatedAt: publishedAt,
    });
    const viral = fixture("viral", hours(1), { viewCount: 400, completedViewCount: 300, likeCount: 60, shareCount: 10 });
    const stale = fixture("stale", hours(96), { viewCount: 400, completedViewCount: 300, likeCount: 60, shareCount: 10 });
    const niche = fixture("niche", hours(3), { viewCount: 20, completedViewCount: 19, likeCount: 4 });
    const fresh = fixture("fresh", hours(0), {});
    const removed = { ...fixture("removed", hours(1), { viewCount: 5000, completedViewCount: 5000 }), isDeleted: true };
    for (const doc of [stale, fresh, removed, niche, viral]) await repository.insert(doc);
    for (const doc of [viral, stale, niche, fresh]) {
      const parts = trendingComponents(doc, now);
      for (const value of [parts.viewVelocity, parts.completionRate, parts.engagementRate, parts.recency, parts.score]) assert.ok(value >= 0 && value <= 1);
    }
    assert.ok(Math.abs(trendingComponents(fresh, now).score - 0.1) < 1e-3, "a new short with no views has only its recency");
    await h.services.videos.trending.recomputeChanged(now);
    const feed = await h.call("GET", "/api/videos/shorts?limit=50");
    const order = feed.body.items.filter((v: VideoView) => v.userId === creator.userId).map((v: VideoView) => v.title);
    assert.deepEqual(order, ["Fixture viral", "Fixture niche", "Fixture stale", "Fixture fresh"]);
    assert.equal((await h.call("GET", "/api/videos/shorts?limit=51")).status, 400);
    const weekly = await h.services.videos.trending.recomputeAll(now);
    assert.ok(weekly.flagged >= 4);
  });

  it("no video stays processing: a retry never touches a ready video, a stale one is failed, a job past its timeout fails with a reason", async () => {
    const before = await h.services.videos.videos.get(owner.userId, short.id);
    assert.deepEqual(await h.services.videos.processor.transcode(short.id, {}), { skipped: "already ready" });
    assert.equal((await h.services.videos.videos.get(owner.userId, short.id)).playback?.masterUrl.split("/")[6], before.playback?.masterUrl.split("/")[6]);

    const repository = new VideoRepository(h.platform.mongo.db);
    const old = new Date(Date.now() - 3600_000);
    const stuck: VideoDoc = {
      _id: randomUUID(), userId: owner.userId, type: "long", title: "Stuck", description: "", tags: [], privacy: "public", status: "processing",
      source: { uploadId: randomBytes(9).toString("base64url") }, renditions: [],
      processing: { attemptId: "dead-attempt", stage: "transcoding", percent: 40, startedAt: old, heartbeatAt: old },
      stats: { viewCount: 0, likeCount: 0, commentCount: 0, shareCount: 0, watchTimeSeconds: 0, completedViewCount: 0 },
      trendingScore: 0, needsTrendingUpdate: false, isDeleted: false, createdAt: old, updatedAt: old,
    };
    await repository.insert(stuck);
    assert.ok((await h.services.videos.processor.sweepStale()) >= 1);
    const swept = await h.services.videos.videos.get(owner.userId, stuck._id);
    assert.equal(swept.status, "failed");
    assert.match(swept.failureReason!, /stopped unexpectedly/);

    const slow = await h.upload(owner, await clips.clip("slow", { width: 1280, height: 720, seconds: 20 }));
    assert.equal((await h.uploadSettled(owner, slow)).status, "ready");
    // The media job is over, so its upload-ready event found no video; inserted as uploaded with no job, only the impatient processor below runs it.
    await waitFor(async () => (await h.platform.jobs.queue("media").getJobState(`media-${slow}`)) === "completed", 10_000, "the media job to finish");
    const pending: VideoDoc = { ...stuck, _id: randomUUID(), title: "Too slow", status: "uploaded", source: { uploadId: slow }, createdAt: new Date(), updatedAt: new Date() };
    delete pending.processing;
    await repository.insert(pending);
    const config = { ...h.platform.config, VIDEO_TRANSCODE_TIMEOUT_MS: 1_500 };
    const impatient = createVideoModule({ config, db: h.platform.mongo.db, redis: h.platform.redis, jobs: h.platform.jobs, realtime: h.platform.realtime, access: h.services.access, events: h.services.events, logger: h.platform.logger, storage: h.services.storage, media: h.services.media });
    await assert.rejects(impatient.services.processor.transcode(pending._id, {}), /took longer than 2 s/);
    const timedOut = await h.services.videos.videos.get(owner.userId, pending._id);
    assert.equal(timedOut.status, "failed");
    assert.match(timedOut.failureReason!, /took longer than 2 s and was stopped/);
  });
});
