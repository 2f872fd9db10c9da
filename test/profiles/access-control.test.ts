import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { Visibility } from "../../shared/access/access-control.js";
import { BlockCacheRepository } from "../../shared/access/block-cache.repository.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { createProfileUsers } from "./profile-fixtures.js";

describe("access control", () => {
  let platform: Platform;
  let services: Services;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
  });
  after(async () => platform.close());

  const users = <N extends number>(n: N) => createProfileUsers(services, n);

  describe("blocks", () => {
    it("are seen either way, cached, and dropped from the cache on unblock", async () => {
      const [a, b, c] = await users(3);
      assert.equal(await services.access.isBlockedEitherWay(a.userId, b.userId), false);
      await services.blocks.block(a.actor, b.userId);
      assert.equal(await services.access.isBlockedEitherWay(a.userId, b.userId), true);
      assert.equal(await services.access.isBlockedEitherWay(b.userId, a.userId), true);
      assert.deepEqual(await services.access.blockedAmong(b.userId, [a.userId, c.userId, b.userId]), new Set([a.userId]));
      assert.deepEqual(await platform.redis.smembers(`blocks:{u:${b.userId}}`).then((m) => m.sort()), [a.userId, "~"].sort());
      await services.blocks.unblock(a.actor, b.userId);
      assert.equal(await services.access.isBlockedEitherWay(b.userId, a.userId), false);
      assert.equal(await services.access.isBlockedEitherWay(a.userId, b.userId), false);
    });

    it("each block is mirrored under the blocked user, idempotently, and the weekly repair rebuilds or drops mirrors", async () => {
      const [a, b, c] = await users(3);
      const mirror = platform.mongo.db.collection("blockedBy");
      const blocks = platform.mongo.db.collection("blockedUsers");
      await Promise.all([services.blocks.block(a.actor, b.userId), services.blocks.block(a.actor, b.userId), services.blocks.block(c.actor, b.userId)]);
      const blockers = async (blockedId: string) => (await mirror.find({ blockedId }).toArray()).map((d) => d.blockerId as string).sort();
      assert.deepEqual(await blockers(b.userId), [a.userId, c.userId].sort());
      await services.blocks.unblock(c.actor, b.userId);
      assert.deepEqual(await blockers(b.userId), [a.userId]);
      // A block from before the mirror existed (or a crash between the writes), and a mirror left by a crashed unblock.
      await mirror.deleteOne({ blockedId: b.userId, blockerId: a.userId });
      await mirror.insertOne({ blockedId: a.userId, blockerId: c.userId, createdAt: new Date() });
      const result = await services.maintenance.run("weekly");
      assert.ok((result["blocks.mirror-repair"]?.written ?? 0) >= 1, JSON.stringify(result));
      assert.ok((result["blocks.mirror-repair"]?.orphans ?? 0) >= 1, JSON.stringify(result));
      assert.deepEqual(await blockers(b.userId), [a.userId]);
      assert.deepEqual(await blockers(a.userId), []);
      assert.equal(await blocks.countDocuments({ blockerId: a.userId, blockedId: b.userId }), 1);
      const again = await services.maintenance.run("weekly");
      assert.deepEqual(again["blocks.mirror-repair"], { written: 0, orphans: 0 });
    });

    it("caches 'blocks nobody' too, and a user never blocks themself", async () => {
      const [a] = await users(1);
      assert.deepEqual(await services.access.blockedSet(a.userId), new Set());
      assert.deepEqual(await platform.redis.smembers(`blocks:{u:${a.userId}}`), ["~"]);
      assert.equal(await services.access.isBlockedEitherWay(a.userId, a.userId), false);
    });

    it("never caches a load that raced a change (generation check)", async () => {
      const cache = new BlockCacheRepository(platform.redis);
      const userId = randomUUID();
      const generation = await cache.generation(userId);
      await cache.invalidate([userId]);
      assert.equal(await cache.fill(userId, generation, ["stale"]), false);
      assert.equal(await cache.members(userId), null);
      assert.equal(await cache.fill(userId, await cache.generation(userId), ["fresh"]), true);
      assert.deepEqual(await cache.members(userId), new Set(["fresh"]));
    });

    it("survive a block written while another process loads the cache", async () => {
      const [a, b] = await users(2);
      // Warm, then block and read concurrently many times: the final state must be blocked.
      await services.access.blockedSet(b.userId);
      await Promise.all([services.blocks.block(a.actor, b.userId), ...Array.from({ length: 10 }, () => services.access.blockedSet(b.userId))]);
      assert.equal(await services.access.isBlockedEitherWay(b.userId, a.userId), true);
    });
  });

  describe("canViewProfile", () => {
    it("allows self, others and anonymous; refuses blocked either way, deleted and unknown profiles", async () => {
      const [owner, other, blocker, gone] = await users(4);
      await services.blocks.block(blocker.actor, owner.userId);
      await services.profiles.markDeleted(gone.userId);
      assert.equal(await services.access.canViewProfile(owner.userId, owner.userId), true);
      assert.equal(await services.access.canViewProfile(other.userId, owner.userId), true);
      assert.equal(await services.access.canViewProfile(undefined, owner.userId), true);
      assert.equal(await services.access.canViewProfile(blocker.userId, owner.userId), false);
      assert.equal(await services.access.canViewProfile(owner.userId, blocker.userId), false);
      assert.equal(await services.access.canViewProfile(other.userId, gone.userId), false);
      assert.equal(await services.access.canViewProfile(other.userId, randomUUID()), false);
    });
  });

  describe("canMessage and canSeeLastSeen", () => {
    it("follow the recipient's audience settings: everyone, contacts (people they follow), nobody", async () => {
      const [recipient, contact, stranger, blocked] = await users(4);
      await services.follows.follow(recipient.actor, contact.userId);
      await services.follows.follow(stranger.actor, recipient.userId); // following them does not make you their contact
      await services.blocks.block(recipient.actor, blocked.userId);
      const expectations: Array<[string, Record<string, boolean>]> = [
        ["everyone", { contact: true, stranger: true, blocked: false }],
        ["contacts", { contact: true, stranger: false, blocked: false }],
        ["nobody", { contact: false, stranger: false, blocked: false }],
      ];
      const who = { contact, stranger, blocked };
      for (const [audience, expected] of expectations) {
        await services.profiles.updateOwn(recipient.actor, {
          privacy: { whoCanMessage: audience as "everyone", lastSeenVisibility: audience as "everyone" },
        });
        for (const [name, allowed] of Object.entries(expected)) {
          const sender = who[name as keyof typeof who];
          assert.equal(await services.access.canMessage(sender.userId, recipient.userId), allowed, `${audience}/${name} message`);
          assert.equal(await services.access.canSeeLastSeen(sender.userId, recipient.userId), allowed, `${audience}/${name} last seen`);
        }
        assert.equal(await services.access.canMessage(recipient.userId, recipient.userId), true);
        assert.equal(await services.access.canSeeLastSeen(recipient.userId, recipient.userId), true);
      }
    });

    it("refuses messaging a deleted or unknown user", async () => {
      const [sender, gone] = await users(2);
      await services.profiles.markDeleted(gone.userId);
      assert.equal(await services.access.canMessage(sender.userId, gone.userId), false);
      assert.equal(await services.access.canMessage(sender.userId, randomUUID()), false);
      assert.equal(await services.access.canSeeLastSeen(sender.userId, gone.userId), false);
    });
  });

  describe("canSeeContent", () => {
    const visibilities: Visibility[] = ["public", "unlisted", "followers", "friends", "private"];

    async function matrix(isPrivate: boolean): Promise<Record<string, Record<Visibility, boolean>>> {
      const [owner, stranger, follower, friend, blocked] = await users(5);
      if (isPrivate) await services.profiles.updateOwn(owner.actor, { privacy: { isPrivate: true } });
      for (const u of [follower, friend, blocked]) {
        await services.follows.follow(u.actor, owner.userId);
        if (isPrivate) await services.follows.acceptRequest(owner.actor, u.userId);
      }
      await services.follows.follow(owner.actor, friend.userId);
      await services.blocks.block(owner.actor, blocked.userId);
      const viewers: Record<string, string | undefined> = {
        owner: owner.userId,
        anonymous: undefined,
        stranger: stranger.userId,
        follower: follower.userId,
        friend: friend.userId,
        blocked: blocked.userId,
      };
      const result: Record<string, Record<Visibility, boolean>> = {};
      for (const [name, viewerId] of Object.entries(viewers)) {
        const row = {} as Record<Visibility, boolean>;
        for (const v of visibilities) row[v] = await services.access.canSeeContent(viewerId, owner.userId, v);
        result[name] = row;
      }
      return result;
    }

    it("on a public account: public/unlisted for all, followers, friends = mutual, private = owner; blocks hide all", async () => {
      assert.deepEqual(await matrix(false), {
        owner: { public: true, unlisted: true, followers: true, friends: true, private: true },
        anonymous: { public: true, unlisted: true, followers: false, friends: false, private: false },
        stranger: { public: true, unlisted: true, followers: false, friends: false, private: false },
        follower: { public: true, unlisted: true, followers: true, friends: false, private: false },
        friend: { public: true, unlisted: true, followers: true, friends: true, private: false },
        blocked: { public: false, unlisted: false, followers: false, friends: false, private: false },
      });
    });

    it("on a private account: public and unlisted content is for accepted followers only", async () => {
      assert.deepEqual(await matrix(true), {
        owner: { public: true, unlisted: true, followers: true, friends: true, private: true },
        anonymous: { public: false, unlisted: false, followers: false, friends: false, private: false },
        stranger: { public: false, unlisted: false, followers: false, friends: false, private: false },
        follower: { public: true, unlisted: true, followers: true, friends: false, private: false },
        friend: { public: true, unlisted: true, followers: true, friends: true, private: false },
        blocked: { public: false, unlisted: false, followers: false, friends: false, private: false },
      });
    });

    it("a pending request grants nothing, and content of a deleted owner is hidden", async () => {
      const [owner, requester, viewer] = await users(3);
      await services.profiles.updateOwn(owner.actor, { privacy: { isPrivate: true } });
      assert.deepEqual(await services.follows.follow(requester.actor, owner.userId), { status: "pending" });
      assert.equal(await services.access.canSeeContent(requester.userId, owner.userId, "followers"), false);
      await services.profiles.updateOwn(owner.actor, { privacy: { isPrivate: false } });
      await services.profiles.markDeleted(owner.userId);
      assert.equal(await services.access.canSeeContent(viewer.userId, owner.userId, "public"), false);
      assert.equal(await services.access.canSeeContent(undefined, randomUUID(), "public"), false);
    });
  });
});
