import assert from "node:assert/strict";
import { TimelineRepository } from "../../shared/feed/timeline.repository.js";
import type { FanOutBatch } from "../../shared/feed/feed.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { startGateway } from "../../gateway/server.js";
import { connectSocket, nextEvent } from "../helpers/sockets.js";
import { createProfileUsers, registerProfileUser } from "../profiles/profile-fixtures.js";
import { createPost, eventually, startPostsHarness, type PostsHarness } from "./post-fixtures.js";

describe("feed: fan-out, read-time merge, rebuild, follow/unfollow/block", function () {
  this.timeout(60_000);
  let harness: PostsHarness;
  let platform: Platform;
  let services: Services;
  let timelines: TimelineRepository;
  /** Batches whose first attempt crashes right after its inserts (BullMQ retries them). */
  const crashOnce = new Set<string>();
  const attempts = new Map<string, number>();

  before(async () => {
    // Small batches and a low big-author threshold, so a handful of users exercise both paths.
    process.env.FEED_FANOUT_BATCH = "10";
    process.env.FEED_BIG_AUTHOR_FOLLOWERS = "30";
    const handler: { real?: (batch: FanOutBatch) => Promise<unknown> } = {};
    harness = await startPostsHarness({
      handlers: {
        "feed.fanout-batch": async (batch) => {
          const key = `${batch.postId}/${batch.batch}`;
          attempts.set(key, (attempts.get(key) ?? 0) + 1);
          const result = await handler.real?.(batch);
          if (crashOnce.delete(key)) throw new Error("worker crashed after its inserts");
          return result;
        },
      },
    });
    delete process.env.FEED_FANOUT_BATCH;
    delete process.env.FEED_BIG_AUTHOR_FOLLOWERS;
    ({ platform, services } = harness);
    handler.real = (batch) => services.posts.feed.fanOutBatch(batch);
    timelines = new TimelineRepository(platform.redis, { maxLength: platform.config.FEED_TIMELINE_MAX, ttlSeconds: 60 });
  });
  after(async () => harness.close());

  const feedIds = async (userId: string, limit = 40): Promise<string[]> => (await services.posts.feed.home(userId, { limit })).items.map((p) => p.id);

  it("fans out in batches to every follower's timeline exactly once, even when jobs run again", async () => {
    const [author, ...followers] = await createProfileUsers(services, 26);
    // Every follower has a built timeline (a read builds it), so the fan-out has somewhere to insert.
    for (const f of followers) {
      await services.follows.follow(f.actor, author.userId);
      await services.posts.feed.home(f.userId, { limit: 1 });
    }
    const post = await createPost(services, author, { text: "to all" });
    // Batches 0 and 2 crash after inserting; BullMQ runs them again.
    crashOnce.add(`${post.id}/0`).add(`${post.id}/2`);
    const everyone = async (): Promise<boolean> => {
      for (const f of followers) if (!(await timelines.all(f.userId)).some((e) => e.postId === post.id)) return false;
      return true;
    };
    await eventually(everyone, 15_000);
    await eventually(async () => crashOnce.size === 0 && (attempts.get(`${post.id}/2`) ?? 0) >= 2, 15_000);
    // A redelivered post.created plans the same batches: the deterministic job ids add nothing.
    const again = await services.posts.feed.planFanOut({ postId: post.id, authorId: author.userId });
    assert.deepEqual(again, { batches: 3 }, "25 followers in batches of 10");
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual([0, 1, 2].map((b) => attempts.get(`${post.id}/${b}`)), [2, 1, 2], "one job per batch, crashed ones retried once");
    for (const f of followers) {
      const entries = (await timelines.all(f.userId)).filter((e) => e.postId === post.id);
      assert.equal(entries.length, 1, `follower ${f.userId} has the post once`);
    }
    const replay = await services.posts.feed.fanOutBatch({ postId: post.id, authorId: author.userId, at: Date.parse(post.createdAt), batch: 0, followerIds: followers.slice(0, 10).map((f) => f.userId) });
    assert.deepEqual(replay, { inserted: 0 }, "a replayed batch inserts nothing new");
    assert.deepEqual(await feedIds(followers[24]!.userId), [post.id]);
  });

  it("merges a big author's posts at read time instead of fanning them out", async () => {
    const [big, fan, ...others] = await createProfileUsers(services, 32);
    for (const u of [fan, ...others]) await services.follows.follow(u.actor, big.userId);
    await services.posts.feed.home(fan.userId, { limit: 1 });
    const post = await createPost(services, big, { text: "to many" });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await timelines.all(fan.userId)).some((e) => e.postId === post.id), false, "not fanned out");
    assert.deepEqual(await feedIds(fan.userId), [post.id], "but in the feed");
    const friendsOnly = await createPost(services, big, { visibility: "friends" });
    assert.equal((await feedIds(fan.userId)).includes(friendsOnly.id), false, "read-time merge filters privacy too");
  });

  it("rebuilds a timeline whose key is gone, never empty when there are posts", async () => {
    const [reader, a, b] = await createProfileUsers(services, 3);
    await services.follows.follow(reader.actor, a.userId);
    await services.follows.follow(reader.actor, b.userId);
    const p1 = await createPost(services, a, { text: "one" });
    const p2 = await createPost(services, b, { text: "two", visibility: "followers" });
    const own = await createPost(services, reader, { text: "mine", visibility: "private" });
    await timelines.drop(reader.userId);
    assert.deepEqual(await feedIds(reader.userId), [own.id, p2.id, p1.id]);
    assert.equal((await timelines.all(reader.userId)).length, 3, "the rebuilt timeline is stored");
    // Pagination walks the same order.
    const first = await services.posts.feed.home(reader.userId, { limit: 2 });
    const rest = await services.posts.feed.home(reader.userId, { limit: 2, cursor: first.nextCursor ?? "" });
    assert.deepEqual([...first.items, ...rest.items].map((p) => p.id), [own.id, p2.id, p1.id]);
  });

  it("a follow merges recent posts in; unfollow and block purge them; deleted posts leave at read", async () => {
    const [reader, author, other] = await createProfileUsers(services, 3);
    await services.posts.feed.home(reader.userId, { limit: 1 });
    const older = await createPost(services, author, { text: "before the follow" });
    const fromOther = await createPost(services, other, { text: "other" });
    await services.follows.follow(reader.actor, author.userId);
    await services.follows.follow(reader.actor, other.userId);
    await eventually(async () => (await feedIds(reader.userId)).length === 2);
    assert.deepEqual(await feedIds(reader.userId), [fromOther.id, older.id]);

    await services.follows.unfollow(reader.actor, author.userId);
    await eventually(async () => (await timelines.all(reader.userId)).every((e) => e.authorId !== author.userId));
    assert.deepEqual(await feedIds(reader.userId), [fromOther.id]);

    await services.blocks.block(other.actor, reader.userId);
    await eventually(async () => (await timelines.all(reader.userId)).every((e) => e.authorId !== other.userId));
    assert.deepEqual(await feedIds(reader.userId), []);

    await services.follows.follow(reader.actor, author.userId);
    const fresh = await createPost(services, author, { text: "fresh" });
    await eventually(async () => (await timelines.all(reader.userId)).some((e) => e.postId === fresh.id));
    await services.posts.posts.delete(author.actor, fresh.id);
    assert.equal((await feedIds(reader.userId)).includes(fresh.id), false);
    assert.equal((await timelines.all(reader.userId)).some((e) => e.postId === fresh.id), false, "removed from the stored timeline at read");
  });

  it("tells online followers there is something new (feed:new, a hint without the post)", async () => {
    const gateway = await startGateway(platform, services, 0);
    try {
      const [author] = await createProfileUsers(services, 1);
      const follower = await registerProfileUser(services);
      await services.follows.follow(follower.actor, author.userId);
      await services.posts.feed.home(follower.userId, { limit: 1 });
      const socket = await connectSocket(`http://127.0.0.1:${gateway.port}`, follower.token);
      try {
        await eventually(async () => (await services.presence.onlineAmong([follower.userId])).has(follower.userId));
        const hint = nextEvent<{ at: string }>(socket, "feed:new", 10_000);
        const post = await createPost(services, author, { text: "ping" });
        assert.deepEqual(await hint, { at: post.createdAt });
      } finally {
        socket.disconnect();
      }
    } finally {
      await gateway.close();
    }
  });

  it("keeps a timeline bounded, inserts into built timelines only, and keeps its expiry", async () => {
    const small = new TimelineRepository(platform.redis, { maxLength: 5, ttlSeconds: 60 });
    const entry = (n: number) => ({ postId: n.toString(16).padStart(24, "0"), authorId: "author", at: 1_000 + n });
    const [reader, absent] = await createProfileUsers(services, 2);
    await small.replace(reader.userId, [1, 2, 3].map(entry));
    assert.equal(await small.insertMany([reader.userId, absent.userId], entry(4)), 1, "only the built timeline takes it");
    assert.equal(await small.all(absent.userId).then((e) => e.length), 0);
    assert.equal(await small.page(absent.userId, undefined, 10), null, "an unbuilt timeline stays unbuilt (rebuilt on read)");
    for (let n = 5; n <= 9; n++) await small.insertMany([reader.userId], entry(n));
    assert.deepEqual((await small.all(reader.userId)).map((e) => e.at), [1_009, 1_008, 1_007, 1_006, 1_005], "the newest 5 kept");
    assert.equal(await small.merge(reader.userId, [10, 11, 2].map(entry)), 3);
    assert.deepEqual((await small.all(reader.userId)).map((e) => e.at), [1_011, 1_010, 1_009, 1_008, 1_007], "a merge trims too");
    assert.equal(await small.insertMany([reader.userId], entry(11)), 0, "a repeated insert adds nothing");
    const ttl = await platform.redis.ttl(`feed:{u:${reader.userId}}`);
    assert.ok(ttl > 0 && ttl <= 60, `the expiry stays (${ttl})`);
    await small.replace(reader.userId, []);
    assert.deepEqual(await small.page(reader.userId, undefined, 10), [], "an empty rebuilt timeline is built");
    assert.equal(await small.insertMany([reader.userId], entry(12)), 1, "and takes inserts");
  });

  it("reads past filtered entries in chunks and pages on after them", async () => {
    const [reader, author] = await createProfileUsers(services, 2);
    await services.follows.follow(reader.actor, author.userId);
    await services.posts.feed.home(reader.userId, { limit: 1 });
    const posts = [];
    for (let n = 0; n < 20; n++) posts.push(await createPost(services, author, { text: `post ${n}` }));
    await eventually(async () => (await timelines.all(reader.userId)).length === 20);
    // The 10 newest go. A page of 8 looks at 16 entries, resolving 13 first (3 live), then the rest.
    for (const p of posts.slice(10)) await services.posts.posts.delete(author.actor, p.id);
    const first = await services.posts.feed.home(reader.userId, { limit: 8 });
    assert.deepEqual(first.items.map((p) => p.id), posts.slice(4, 10).reverse().map((p) => p.id));
    assert.ok(first.nextCursor, "the window was full: more may follow");
    const second = await services.posts.feed.home(reader.userId, { limit: 8, cursor: first.nextCursor });
    assert.deepEqual(second.items.map((p) => p.id), posts.slice(0, 4).reverse().map((p) => p.id));
    assert.equal(second.nextCursor, null);
    assert.deepEqual((await timelines.all(reader.userId)).map((e) => e.postId), posts.slice(0, 10).reverse().map((p) => p.id), "the deleted ones left the stored timeline");
  });
});
