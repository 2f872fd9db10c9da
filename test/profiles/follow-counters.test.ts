import assert from "node:assert/strict";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { createProfileUsers, type ProfileUser } from "./profile-fixtures.js";

/** A deterministic pseudo-random sequence, so a failing interleaving can be replayed. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

describe("follow counters under retries and concurrency", () => {
  let platform: Platform;
  let services: Services;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
  });
  after(async () => platform.close());

  const users = <N extends number>(n: N) => createProfileUsers(services, n);

  /** Stored counters of each user equal the accepted edges in `follows`. */
  async function assertCountersExact(list: readonly ProfileUser[]): Promise<void> {
    const follows = platform.mongo.db.collection("follows");
    for (const user of list) {
      const { stats } = await services.profiles.getOwn(user.actor);
      const followers = await follows.countDocuments({ followeeId: user.userId, status: "accepted" }, { comment: "scatter-gather: test inspection of follower counts" });
      const following = await follows.countDocuments({ followerId: user.userId, status: "accepted" });
      assert.equal(stats.followersCount, followers, `followers of ${user.userId}`);
      assert.equal(stats.followingCount, following, `following of ${user.userId}`);
    }
  }

  it("a follow retried many times at once counts once", async () => {
    const [a, b] = await users(2);
    const results = await Promise.all(Array.from({ length: 30 }, () => services.follows.follow(a.actor, b.userId)));
    assert.ok(results.every((r) => r.status === "accepted"));
    assert.equal((await services.profiles.getOwn(b.actor)).stats.followersCount, 1);
    assert.equal((await services.profiles.getOwn(a.actor)).stats.followingCount, 1);
    await Promise.all(Array.from({ length: 30 }, () => services.follows.unfollow(a.actor, b.userId)));
    await assertCountersExact([a, b]);
    assert.equal((await services.profiles.getOwn(b.actor)).stats.followersCount, 0);
  });

  it("stays exact when follows and unfollows of the same pair interleave", async () => {
    const [a, b] = await users(2);
    const random = seeded(7);
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        Array.from({ length: 40 }, () =>
          random() < 0.5 ? services.follows.follow(a.actor, b.userId) : services.follows.unfollow(a.actor, b.userId),
        ),
      );
      await assertCountersExact([a, b]);
    }
  });

  it("stays exact across many pairs followed and unfollowed concurrently", async () => {
    const list = await users(10);
    const random = seeded(42);
    const ops: Array<Promise<unknown>> = [];
    for (let i = 0; i < 600; i++) {
      const from = list[Math.floor(random() * list.length)] as ProfileUser;
      const to = list[Math.floor(random() * list.length)] as ProfileUser;
      if (from === to) continue;
      ops.push(random() < 0.6 ? services.follows.follow(from.actor, to.userId) : services.follows.unfollow(from.actor, to.userId));
    }
    await Promise.all(ops);
    await assertCountersExact(list);
  });

  it("counts only accepted requests, exactly, when accepts, declines and cancellations race", async () => {
    const [owner, ...requesters] = await users(9);
    const o = owner;
    await services.profiles.updateOwn(o.actor, { privacy: { isPrivate: true } });
    await Promise.all(requesters.map((r) => services.follows.follow(r.actor, o.userId)));
    assert.equal((await services.profiles.getOwn(o.actor)).stats.followersCount, 0);
    const random = seeded(3);
    const ops: Array<Promise<unknown>> = [];
    for (const r of requesters) {
      for (let i = 0; i < 4; i++) {
        const pick = random();
        const op =
          pick < 0.4
            ? services.follows.acceptRequest(o.actor, r.userId)
            : pick < 0.6
              ? services.follows.declineRequest(o.actor, r.userId)
              : pick < 0.8
                ? services.follows.unfollow(r.actor, o.userId)
                : services.follows.follow(r.actor, o.userId);
        ops.push(op.catch((error: { code?: string }) => assert.equal(error.code, "NOT_FOUND")));
      }
    }
    await Promise.all(ops);
    await assertCountersExact([o, ...requesters]);
  });

  it("turning public accepts every waiting request and counts each once", async () => {
    const [owner, ...requesters] = await users(6);
    const o = owner;
    await services.profiles.updateOwn(o.actor, { privacy: { isPrivate: true } });
    await Promise.all(requesters.map((r) => services.follows.follow(r.actor, o.userId)));
    const view = await services.profiles.updateOwn(o.actor, { privacy: { isPrivate: false } });
    assert.equal(view.stats.followersCount, requesters.length);
    await assertCountersExact([o, ...requesters]);
  });

  it("a block racing follows both ways leaves no edge between the two and exact counters", async () => {
    for (let round = 0; round < 4; round++) {
      const [a, b, c] = await users(3);
      await services.follows.follow(c.actor, a.userId);
      const ops: Array<Promise<unknown>> = [services.blocks.block(a.actor, b.userId)];
      for (let i = 0; i < 10; i++) {
        ops.push(services.follows.follow(b.actor, a.userId).catch((e: { code?: string }) => e.code));
        ops.push(services.follows.follow(a.actor, b.userId).catch((e: { code?: string }) => e.code));
      }
      const outcomes = await Promise.all(ops);
      for (const outcome of outcomes.slice(1)) {
        assert.ok(outcome === "PROFILE_NOT_FOUND" || outcome === "BLOCKED" || (outcome as { status?: string }).status === "accepted");
      }
      const edges = await platform.mongo.db
        .collection("follows")
        .countDocuments({ $or: [{ followerId: a.userId, followeeId: b.userId }, { followerId: b.userId, followeeId: a.userId }] });
      assert.equal(edges, 0);
      await assertCountersExact([a, b, c]);
    }
  });

  it("deleting an account removes its follows both ways and keeps everyone's counters exact", async () => {
    const [gone, a, b, c] = await users(4);
    await services.profiles.updateOwn(c.actor, { privacy: { isPrivate: true } });
    await services.follows.follow(gone.actor, a.userId);
    await services.follows.follow(b.actor, gone.userId);
    await services.follows.follow(gone.actor, c.userId); // a pending request
    assert.equal(await services.profiles.markDeleted(gone.userId), true);
    assert.equal((await services.profiles.getOwn(a.actor)).stats.followersCount, 0);
    assert.equal((await services.profiles.getOwn(b.actor)).stats.followingCount, 0);
    assert.deepEqual((await services.follows.listRequests(c.actor, { limit: 10 })).items, []);
    await assertCountersExact([a, b, c]);
  });

  it("the monthly purge removes profiles deleted past retention, with their blocks", async () => {
    const [old, recent, blocker] = await users(3);
    await services.blocks.block(blocker.actor, old.userId);
    assert.equal(await services.access.isBlockedEitherWay(blocker.userId, old.userId), true);
    await services.profiles.markDeleted(old.userId);
    await services.profiles.markDeleted(recent.userId);
    const longAgo = new Date(Date.now() - 31 * 86_400_000);
    await platform.mongo.db.collection("profiles").updateOne({ userId: old.userId }, { $set: { deletedAt: longAgo } });
    const result = await services.maintenance.run("monthly");
    assert.ok((result["profiles.purge-deleted"]?.purged ?? 0) >= 1, JSON.stringify(result));
    const profiles = platform.mongo.db.collection("profiles");
    assert.equal(await profiles.countDocuments({ userId: old.userId }), 0);
    assert.equal(await profiles.countDocuments({ userId: recent.userId }), 1, "kept until its retention ends");
    assert.equal(await platform.mongo.db.collection("blockedUsers").countDocuments({ blockerId: blocker.userId }), 0);
    assert.equal(await platform.mongo.db.collection("blockedBy").countDocuments({ blockedId: old.userId }), 0);
    assert.equal(await services.access.isBlockedEitherWay(blocker.userId, old.userId), false);
    const again = await services.maintenance.run("monthly");
    assert.equal(again["profiles.purge-deleted"]?.purged, 0);
  });

  it("the weekly recount repairs counters a crash left off", async () => {
    const [a, b] = await users(2);
    await services.follows.follow(a.actor, b.userId);
    await platform.mongo.db.collection("profiles").updateOne({ userId: b.userId }, { $inc: { "stats.followersCount": 5 } });
    const result = await services.maintenance.run("weekly");
    const task = result["profiles.recount-follow-counters"];
    assert.ok((task?.repaired ?? 0) >= 1 && (task?.checked ?? 0) >= 2, JSON.stringify(task));
    await assertCountersExact([a, b]);
    const again = await services.maintenance.run("weekly");
    assert.equal(again["profiles.recount-follow-counters"]?.repaired, 0);
  });
});
