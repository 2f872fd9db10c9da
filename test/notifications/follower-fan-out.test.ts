import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../../shared/config/config.js";
import type { DevPushOutbox } from "../../shared/notifications/push/dev-push-outbox.js";
import { createLogger } from "../../shared/logging/logger.js";
import { createPlatform, type Platform } from "../../shared/runtime/platform.js";
import { composeModules, type Composition, type Services } from "../../shared/runtime/services.js";
import { startWorkers, type WorkerHost } from "../../workers/worker-host.js";
import { ClipFactory } from "../helpers/clips.js";
import { readyUpload } from "../media/media-fixtures.js";
import { waitFor } from "../helpers/ports.js";
import { testEnv } from "../helpers/test-env.js";
import { createProfileUser, createProfileUsers, type ProfileUser } from "../profiles/profile-fixtures.js";
import { videoEnv } from "../videos/video-fixtures.js";

/**
 * "Notify me of new posts/videos": a real post or a transcoded video reaches
 * the followers who asked for it, through the durable event and fan-out jobs,
 * within its audience and around blocks; a retried batch writes nothing twice.
 */
describe("notifications: new posts and videos fanned out to followers who asked", function () {
  this.timeout(180_000);
  let platform: Platform;
  let composition: Composition;
  let services: Services;
  let workers: WorkerHost;
  let mediaDir: string;

  before(async () => {
    mediaDir = await mkdtemp(path.join(tmpdir(), "cw-fanout-"));
    // This file's settings go to its own config only: other tests share process.env.
    const config = loadConfig({ ...process.env, ...videoEnv(mediaDir), WORKER_QUEUES: "events,notifications,transcode,feed" });
    platform = await createPlatform(config, createLogger(config).child({ role: "test" }), testEnv.mongoUrl);
    composition = composeModules(platform);
    services = composition.services;
    workers = await startWorkers(platform, composition.jobs, 0);
  });
  after(async () => {
    await workers.close(2_000);
    await services.events.flush();
    await platform.close();
    await rm(mediaDir, { recursive: true, force: true });
  });

  const notifications = () => platform.mongo.db.collection("notifications");
  /** Who among `candidates` holds a notification of `type` about `targetId` (queried by recipient, as the indexes serve). */
  const received = async (type: string, targetId: string, candidates: readonly ProfileUser[]): Promise<string[]> => {
    const docs = await notifications().find({ recipientId: { $in: candidates.map((user) => user.userId) }, type }).toArray();
    return docs.filter((doc) => doc.target?.id === targetId).map((doc) => String(doc.recipientId)).sort();
  };
  const ids = (...users: ProfileUser[]): string[] => users.map((user) => user.userId).sort();

  /** Waits until the expected recipients among `candidates` hold the notification, then a little longer for strays. */
  async function expectRecipients(type: string, targetId: string, candidates: readonly ProfileUser[], expected: string[]): Promise<void> {
    await waitFor(async () => (await received(type, targetId, candidates)).length >= expected.length, 30_000, `${expected.length} ${type} notifications`).catch(async (error: Error) => {
      const failed = [...(await platform.jobs.queue("notifications").getJobs(["failed"])), ...(await platform.jobs.queue("events").getJobs(["failed"]))];
      throw new Error(`${error.message}; failed jobs: ${failed.map((job) => `${job.name}: ${job.failedReason}`).join("; ") || "none"}`);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(await received(type, targetId, candidates), expected);
  }

  it("a post reaches subscribed followers only, within its audience, never a blocked or unfollowed user or one who switched the type off", async () => {
    const everyone = await createProfileUsers(services, 9);
    const [author, fan, friend, quiet, videosOnly, blocked, unfollower, switchedOff, stranger] = everyone;
    const subs = services.notifications.authorSubscriptions;
    for (const user of [fan, friend, quiet, videosOnly, blocked, unfollower, switchedOff]) await services.follows.follow(user.actor, author.userId);
    await services.follows.follow(author.actor, friend.userId);
    await assert.rejects(subs.set(stranger.actor, author.userId, { posts: true }), /Follow this account/, "only followers may ask");
    await assert.rejects(subs.set(author.actor, author.userId, { posts: true }), /own posts/);
    for (const user of [fan, friend, blocked, unfollower, switchedOff]) assert.deepEqual(await subs.set(user.actor, author.userId, { posts: true }), { posts: true, videos: false });
    assert.deepEqual(await subs.set(videosOnly.actor, author.userId, { videos: true }), { posts: false, videos: true });
    await services.profiles.updateOwn(switchedOff.actor, { notificationPreferences: { post_published: false } });
    await services.blocks.block(author.actor, blocked.userId);
    await services.follows.unfollow(unfollower.actor, author.userId);
    await waitFor(async () => !(await subs.get(blocked.actor, author.userId)).posts && !(await subs.get(unfollower.actor, author.userId)).posts, 20_000, "block and unfollow end the subscriptions");

    const publicPost = await services.posts.posts.create(author.actor, { text: "hello followers", media: [], visibility: "public" });
    await expectRecipients("post_published", publicPost.id, everyone, ids(fan, friend));
    const [doc] = await notifications().find({ type: "post_published", recipientId: fan.userId, "target.id": publicPost.id }).toArray();
    assert.deepEqual(doc?.link, { route: "post", params: { postId: publicPost.id } });
    const listed = await services.notifications.notifications.list(fan.userId, { limit: 5 });
    assert.equal(listed.items[0]?.body, `${author.profile.displayName} posted: "hello followers"`);

    const friendsPost = await services.posts.posts.create(author.actor, { text: "friends only", media: [], visibility: "friends" });
    await expectRecipients("post_published", friendsPost.id, everyone, ids(friend));
    const privatePost = await services.posts.posts.create(author.actor, { text: "just me", media: [], visibility: "private" });
    const followersPost = await services.posts.posts.create(author.actor, { text: "followers", media: [], visibility: "followers" });
    await expectRecipients("post_published", followersPost.id, everyone, ids(fan, friend));
    assert.deepEqual(await received("post_published", privatePost.id, everyone), [], "a private post tells nobody");
    const queued = await platform.jobs.queue("notifications").getJobs(["completed", "waiting", "active", "delayed", "failed"]);
    assert.equal(queued.filter((job) => job.data.sourceId === privatePost.id).length, 0, "not even a job");
  });

  it("1,050 subscribers: two batches with one insert each, and a retried batch writes nothing twice", async () => {
    const author = await createProfileUser(services);
    const followers: ProfileUser[] = [];
    for (let i = 0; i < 1050; i += 75) followers.push(...(await Promise.all(Array.from({ length: Math.min(75, 1050 - i) }, () => createProfileUser(services)))));
    // Edges and subscriptions as the follow and subscription services write them, in bulk for speed.
    const at = new Date();
    await platform.mongo.db.collection("follows").insertMany(followers.map((f) => ({ followerId: f.userId, followeeId: author.userId, status: "accepted", createdAt: at, acceptedAt: at })));
    await platform.mongo.db.collection("authorSubscriptions").insertMany(followers.map((f) => ({ _id: `${author.userId}:${f.userId}` as unknown as never, authorId: author.userId, userId: f.userId, kinds: ["posts"], createdAt: at, updatedAt: at })));
    const post = await services.posts.posts.create(author.actor, { text: "to many", media: [], visibility: "followers" });
    const stored = async () => (await received("post_published", post.id, followers)).length;
    await waitFor(async () => (await stored()) === 1050, 60_000, "every subscriber notified");
    // The last batch completes after its insert (its publish and pushes come after it).
    const completed = async () => (await platform.jobs.queue("notifications").getJobs(["completed"])).filter((job) => job.data.sourceId === post.id);
    await waitFor(async () => (await completed()).length >= 2, 20_000, "two batches completed");
    const batches = await completed();
    assert.equal(batches.length, 2, "two batches of at most 1,000");
    const again = await services.notifications.followerFanOut.runBatch(batches.find((job) => job.data.afterUserId === null)!.data);
    assert.ok("inserted" in again && again.inserted === 0 && again.subscribers === 1000, JSON.stringify(again));
    assert.equal(await stored(), 1050);
  });

  it("a video that finishes processing as public reaches the followers who asked for videos, not those who asked for posts only", async () => {
    const [owner, watcher, reader] = await createProfileUsers(services, 3);
    for (const user of [watcher, reader]) await services.follows.follow(user.actor, owner.userId);
    await services.notifications.authorSubscriptions.set(watcher.actor, owner.userId, { videos: true });
    await services.notifications.authorSubscriptions.set(reader.actor, owner.userId, { posts: true });
    const clips = await ClipFactory.create();
    try {
      const file = await clips.clip("fanout", { width: 160, height: 120, seconds: 2 });
      const upload = await readyUpload(services, owner.userId, await readFile(file), "video/mp4", "video");
      const video = await services.videos.videos.create(owner.userId, { uploadId: upload.id, type: "long", title: "My first video", description: "", tags: [], privacy: "public" });
      await expectRecipients("video_published", video.id, [owner, watcher, reader], ids(watcher));
      const listed = await services.notifications.notifications.list(watcher.userId, { limit: 5 });
      assert.equal(listed.items[0]?.body, `${owner.profile.displayName} posted a video: "My first video"`);
      assert.deepEqual(listed.items[0]?.link, { route: "video", params: { videoId: video.id } });
    } finally {
      await clips.dispose();
    }
  });

  it("a post is pushed to subscribed followers with no device connected, and to one who wants it pushed but not listed; never to a connected one", async () => {
    const [author, away, pushOnly, connected, pushOff] = await createProfileUsers(services, 5);
    const outbox = services.notifications.pushSender as DevPushOutbox;
    const endpointOf = (user: ProfileUser) => `https://push.example.test/${user.userId}`;
    for (const user of [away, pushOnly, connected, pushOff]) {
      await services.follows.follow(user.actor, author.userId);
      await services.notifications.authorSubscriptions.set(user.actor, author.userId, { posts: true });
      await services.notifications.pushSubscriptions.register(user.actor, { endpoint: endpointOf(user), keys: { p256dh: "BPk", auth: "au" } });
    }
    const setPrefs = (user: ProfileUser, changes: Parameters<typeof services.notifications.notifications.setPreferences>[1]) =>
      services.notifications.notifications.setPreferences(user.userId, changes, (switches) => services.profiles.updateOwn(user.actor, { notificationPreferences: switches }));
    await setPrefs(pushOnly, { post_published: { inApp: false, push: true } });
    await setPrefs(pushOff, { post_published: { push: false } });
    await services.presence.connect({ userId: connected.userId, socketId: "sock-connected" });

    const post = await services.posts.posts.create(author.actor, { text: "ring ring", media: [], visibility: "public" });
    const pushesFor = (user: ProfileUser) => outbox.sent.filter((p) => p.endpoint === endpointOf(user) && p.payload.type === "post_published");
    await waitFor(() => pushesFor(away).length === 1 && pushesFor(pushOnly).length === 1, 30_000, "pushes to the two offline followers");
    await expectRecipients("post_published", post.id, [away, pushOnly, connected, pushOff], ids(away, connected, pushOff));
    const [pushed] = pushesFor(away);
    assert.equal(pushed!.payload.body, `${author.profile.displayName} posted: "ring ring"`);
    assert.deepEqual(pushed!.payload.link, { route: "post", params: { postId: post.id } });
    assert.equal(pushed!.payload.notificationId, (await services.notifications.notifications.list(away.userId, { limit: 1 })).items[0]!.id);
    assert.equal(pushed!.payload.unreadCount, 1);
    assert.equal(pushesFor(connected).length, 0, "a connected follower got the socket publish only");
    assert.equal(pushesFor(pushOff).length, 0, "push switched off for the type");
  });
});
