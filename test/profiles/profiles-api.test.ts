import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { ApiClient } from "./api-client.js";
import { registerProfileUser, uniqueUsername, type ProfileUser } from "./profile-fixtures.js";

describe("profiles API: happy paths and validation", () => {
  let platform: Platform;
  let services: Services;
  let api: ApiClient;
  let me: ProfileUser;
  let other: ProfileUser;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    api = await ApiClient.start(platform, services);
    [me, other] = await Promise.all([registerProfileUser(services), registerProfileUser(services)]);
  });
  after(async () => {
    await api.close();
    await platform.close();
  });

  describe("GET and PATCH /api/profiles/me", () => {
    it("returns the caller's full profile, settings included", async () => {
      const res = await api.call("GET", "/api/profiles/me", { token: me.token });
      assert.equal(res.status, 200);
      assert.equal(res.body.profile.userId, me.userId);
      assert.equal(res.body.profile.username, me.profile.username);
      assert.deepEqual(res.body.profile.privacy, { isPrivate: false, whoCanMessage: "everyone", lastSeenVisibility: "everyone" });
      assert.equal(res.body.profile.notificationPreferences.video_processed, true);
      assert.deepEqual(res.body.profile.socialLinks, []);
    });

    it("updates every editable field and returns the result", async () => {
      const username = uniqueUsername("New");
      const body = {
        username,
        displayName: "  Grace Hopper ",
        bio: "Compilers.\nAnd nanoseconds.",
        privacy: { whoCanMessage: "contacts", lastSeenVisibility: "nobody" },
        notificationPreferences: { post_like: false, group_invite: false },
        socialLinks: [{ platform: "GitHub", url: "https://github.com/grace" }],
      };
      const res = await api.call("PATCH", "/api/profiles/me", { token: me.token, body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const p = res.body.profile;
      assert.equal(p.username, username);
      assert.equal(p.displayName, "Grace Hopper");
      assert.equal(p.bio, body.bio);
      assert.equal(p.avatarUrl, null);
      assert.equal(p.avatar, null);
      assert.deepEqual(p.privacy, { isPrivate: false, whoCanMessage: "contacts", lastSeenVisibility: "nobody" });
      assert.equal(p.notificationPreferences.post_like, false);
      assert.equal(p.notificationPreferences.post_comment, true);
      assert.deepEqual(p.socialLinks, body.socialLinks);
      const again = await api.call("GET", "/api/profiles/me", { token: me.token });
      assert.deepEqual(again.body.profile, p);
      const cleared = await api.call("PATCH", "/api/profiles/me", { token: me.token, body: { socialLinks: [] } });
      assert.deepEqual(cleared.body.profile.socialLinks, []);
      assert.equal(cleared.body.profile.privacy.lastSeenVisibility, "nobody");
    });

    it("refuses a username taken by someone else, whatever its case, with 409 ALREADY_EXISTS", async () => {
      const res = await api.call("PATCH", "/api/profiles/me", { token: me.token, body: { username: other.profile.username.toUpperCase() } });
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, "ALREADY_EXISTS");
      const own = await api.call("PATCH", "/api/profiles/me", { token: other.token, body: { username: other.profile.username.toUpperCase() } });
      assert.equal(own.status, 200, "changing the case of one's own username is allowed");
    });

    it("rejects invalid updates with 400 VALIDATION_FAILED and changes nothing", async () => {
      const before = (await api.call("GET", "/api/profiles/me", { token: me.token })).body.profile;
      const bad: unknown[] = [
        {},
        { unknown: 1 },
        { $set: { "stats.followersCount": 1000 } },
        { stats: { followersCount: 1000 } },
        { userId: randomUUID() },
        { username: "ab" },
        { username: "has space" },
        { username: "x".repeat(31) },
        { displayName: "" },
        { displayName: "   " },
        { displayName: "x".repeat(65) },
        { displayName: 42 },
        { bio: "x".repeat(501) },
        { bio: "bell\u0007" },
        { avatarUrl: "https://cdn.example.com/a.png" },
        { avatarUrl: null },
        { privacy: { isPrivate: "yes" } },
        { privacy: { whoCanMessage: "friends" } },
        { privacy: { extra: true } },
        { notificationPreferences: { not_a_type: false } },
        { notificationPreferences: { follow: "off" } },
        { socialLinks: [{ platform: "x", url: "notaurl" }] },
        { socialLinks: [{ platform: "x", url: "https://localhost/me" }] },
        { socialLinks: Array.from({ length: 11 }, (_, i) => ({ platform: "site", url: `https://example.com/${i}` })) },
        { socialLinks: [{ platform: "a", url: "https://example.com" }, { platform: "b", url: "https://example.com" }] },
        { socialLinks: [{ platform: "a", url: "https://example.com", extra: 1 }] },
        { username: { $ne: null } },
        [],
        "null",
      ];
      for (const body of bad) {
        const res = await api.call("PATCH", "/api/profiles/me", { token: me.token, body });
        assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.status}`);
        assert.equal(res.body.error.code, "VALIDATION_FAILED");
      }
      const malformed = await api.call("PATCH", "/api/profiles/me", { token: me.token, body: "{not json" });
      assert.equal(malformed.status, 400);
      const huge = await api.call("PATCH", "/api/profiles/me", { token: me.token, body: { bio: "x".repeat(300_000) } });
      assert.equal(huge.status, 413);
      const after = (await api.call("GET", "/api/profiles/me", { token: me.token })).body.profile;
      assert.deepEqual(after, before);
    });
  });

  describe("reading other profiles", () => {
    it("by id and by username (any case), with the viewer's relationship and no settings", async () => {
      const byId = await api.call("GET", `/api/profiles/${other.userId}`, { token: me.token });
      assert.equal(byId.status, 200);
      assert.equal(byId.body.profile.userId, other.userId);
      assert.deepEqual(byId.body.profile.relationship, { following: "none", followedBy: false });
      assert.equal(byId.body.profile.privacy, undefined);
      assert.equal(byId.body.profile.notificationPreferences, undefined);
      const current = (await api.call("GET", "/api/profiles/me", { token: other.token })).body.profile.username as string;
      const byName = await api.call("GET", `/api/profiles/by-username/${current.toLowerCase()}`, { token: me.token });
      assert.equal(byName.status, 200);
      assert.equal(byName.body.profile.userId, other.userId);
    });

    it("answers 404 for unknown users and 400 for malformed ids or usernames", async () => {
      assert.equal((await api.call("GET", `/api/profiles/${randomUUID()}`, { token: me.token })).status, 404);
      assert.equal((await api.call("GET", `/api/profiles/by-username/nobody_${Date.now()}`, { token: me.token })).status, 404);
      for (const path of ["/api/profiles/not-a-uuid", "/api/profiles/by-username/a b", "/api/profiles/by-username/%24where", "/api/profiles/12345/followers"]) {
        const res = await api.call("GET", path, { token: me.token });
        assert.equal(res.status, 400, path);
        assert.equal(res.body.error.code, "VALIDATION_FAILED");
      }
    });
  });

  describe("search", () => {
    it("finds profiles by words of the name or bio, best match first, and by username prefix", async () => {
      const word = `zq${randomUUID().replace(/-/g, "").slice(0, 8)}`;
      const [strong, weak] = await Promise.all([registerProfileUser(services), registerProfileUser(services)]);
      await api.call("PATCH", "/api/profiles/me", { token: strong.token, body: { username: `${word}_main`, displayName: `${word} Main` } });
      await api.call("PATCH", "/api/profiles/me", { token: weak.token, body: { bio: `I once met ${word}` } });
      const text = await api.call("GET", `/api/profiles/search?q=${word}`, { token: me.token });
      assert.equal(text.status, 200);
      assert.deepEqual(text.body.items.map((i: { userId: string }) => i.userId), [strong.userId, weak.userId]);
      assert.deepEqual(text.body.items[0].relationship, { following: "none", followedBy: false });
      const prefix = await api.call("GET", `/api/profiles/search?mode=prefix&q=@${word.toUpperCase()}`, { token: me.token });
      assert.deepEqual(prefix.body.items.map((i: { userId: string }) => i.userId), [strong.userId]);
      const limited = await api.call("GET", `/api/profiles/search?q=${word}&limit=1`, { token: me.token });
      assert.equal(limited.body.items.length, 1);
    });

    it("rejects bad queries", async () => {
      for (const qs of ["", "q=", "q=a&limit=0", "q=a&limit=51", "q=a&limit=ten", "q=a&mode=fuzzy", "q=a b&mode=prefix", "q[$ne]=x", "q=a&q=b", `q=${"x".repeat(101)}`, "q=a&extra=1"]) {
        const res = await api.call("GET", `/api/profiles/search?${qs}`, { token: me.token });
        assert.equal(res.status, 400, qs);
      }
    });
  });

  describe("follows, requests and lists", () => {
    it("follows a public account at once, lists both sides, and unfollows", async () => {
      const [a, b] = await Promise.all([registerProfileUser(services), registerProfileUser(services)]);
      const followed = await api.call("POST", `/api/profiles/${b.userId}/follow`, { token: a.token });
      assert.equal(followed.status, 200);
      assert.deepEqual(followed.body, { status: "accepted" });
      const followers = await api.call("GET", `/api/profiles/${b.userId}/followers`, { token: a.token });
      assert.equal(followers.status, 200);
      assert.deepEqual(followers.body.items.map((i: { userId: string }) => i.userId), [a.userId]);
      assert.equal(followers.body.nextCursor, null);
      const following = await api.call("GET", `/api/profiles/${a.userId}/following`, { token: a.token });
      assert.deepEqual(following.body.items.map((i: { userId: string }) => i.userId), [b.userId]);
      assert.deepEqual(following.body.items[0].relationship, { following: "accepted", followedBy: false });
      const seenByB = await api.call("GET", `/api/profiles/${b.userId}/followers`, { token: b.token });
      assert.deepEqual(seenByB.body.items[0].relationship, { following: "none", followedBy: true });
      const view = await api.call("GET", `/api/profiles/${b.userId}`, { token: a.token });
      assert.equal(view.body.profile.stats.followersCount, 1);
      assert.deepEqual(view.body.profile.relationship, { following: "accepted", followedBy: false });
      assert.equal((await api.call("DELETE", `/api/profiles/${b.userId}/follow`, { token: a.token })).status, 204);
      assert.equal((await api.call("DELETE", `/api/profiles/${b.userId}/follow`, { token: a.token })).status, 204);
      const after = await api.call("GET", `/api/profiles/${b.userId}`, { token: a.token });
      assert.equal(after.body.profile.stats.followersCount, 0);
    });

    it("pages followers newest first with an opaque cursor, without repeats or gaps", async () => {
      const target = await registerProfileUser(services);
      const followers: string[] = [];
      for (let i = 0; i < 7; i++) {
        const f = await registerProfileUser(services);
        await services.follows.follow(f.actor, target.userId);
        followers.push(f.userId);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const qs: string = cursor ? `?limit=3&cursor=${cursor}` : "?limit=3";
        const res = await api.call("GET", `/api/profiles/${target.userId}/followers${qs}`, { token: target.token });
        assert.equal(res.status, 200);
        assert.ok(res.body.items.length <= 3);
        seen.push(...res.body.items.map((i: { userId: string }) => i.userId));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual(seen, [...followers].reverse());
      for (const qs of ["?limit=0", "?limit=51", "?cursor=abc", "?cursor=%24gt", "?limit=2&other=1"]) {
        const res = await api.call("GET", `/api/profiles/${target.userId}/followers${qs}`, { token: target.token });
        assert.equal(res.status, 400, qs);
      }
    });

    it("turns follows of a private account into requests the owner lists, accepts and declines", async () => {
      const [owner, first, second] = await Promise.all([registerProfileUser(services), registerProfileUser(services), registerProfileUser(services)]);
      await api.call("PATCH", "/api/profiles/me", { token: owner.token, body: { privacy: { isPrivate: true } } });
      assert.deepEqual((await api.call("POST", `/api/profiles/${owner.userId}/follow`, { token: first.token })).body, { status: "pending" });
      assert.deepEqual((await api.call("POST", `/api/profiles/${owner.userId}/follow`, { token: second.token })).body, { status: "pending" });
      const requests = await api.call("GET", "/api/profiles/me/follow-requests", { token: owner.token });
      assert.equal(requests.status, 200);
      assert.deepEqual(requests.body.items.map((i: { userId: string }) => i.userId), [second.userId, first.userId]);
      assert.ok(requests.body.items[0].requestedAt);
      assert.equal((await api.call("GET", `/api/profiles/${owner.userId}`, { token: owner.token })).body.profile.stats.followersCount, 0);
      const accepted = await api.call("POST", `/api/profiles/me/follow-requests/${first.userId}/accept`, { token: owner.token });
      assert.deepEqual([accepted.status, accepted.body], [200, { status: "accepted" }]);
      const declined = await api.call("POST", `/api/profiles/me/follow-requests/${second.userId}/decline`, { token: owner.token });
      assert.equal(declined.status, 204);
      assert.equal((await api.call("POST", `/api/profiles/me/follow-requests/${second.userId}/accept`, { token: owner.token })).status, 404);
      assert.equal((await api.call("POST", `/api/profiles/me/follow-requests/${second.userId}/decline`, { token: owner.token })).status, 404);
      assert.deepEqual((await api.call("GET", "/api/profiles/me/follow-requests", { token: owner.token })).body.items, []);
      const ownView = await api.call("GET", "/api/profiles/me", { token: owner.token });
      assert.equal(ownView.body.profile.stats.followersCount, 1);
      assert.equal((await api.call("GET", `/api/profiles/${owner.userId}/followers`, { token: first.token })).status, 200);
      assert.equal((await api.call("GET", `/api/profiles/${owner.userId}/followers`, { token: second.token })).status, 403);
      assert.equal((await api.call("POST", `/api/profiles/me/follow-requests/not-a-uuid/accept`, { token: owner.token })).status, 400);
    });
  });

  describe("blocks", () => {
    it("block removes follows both ways, hides each from the other, and lists in my blocked list", async () => {
      const [a, b] = await Promise.all([registerProfileUser(services), registerProfileUser(services)]);
      await services.follows.follow(a.actor, b.userId);
      await services.follows.follow(b.actor, a.userId);
      assert.equal((await api.call("POST", `/api/profiles/${b.userId}/block`, { token: a.token })).status, 204);
      assert.equal((await api.call("POST", `/api/profiles/${b.userId}/block`, { token: a.token })).status, 204);
      for (const [viewer, target] of [[a, b], [b, a]] as const) {
        assert.equal((await api.call("GET", `/api/profiles/${target.userId}`, { token: viewer.token })).status, 404);
        const own = await api.call("GET", "/api/profiles/me", { token: viewer.token });
        assert.equal(own.body.profile.stats.followersCount, 0);
        assert.equal(own.body.profile.stats.followingCount, 0);
        const search = await api.call("GET", `/api/profiles/search?mode=prefix&q=${target.profile.username}`, { token: viewer.token });
        assert.deepEqual(search.body.items, []);
      }
      const list = await api.call("GET", "/api/profiles/me/blocked", { token: a.token });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.items.map((i: { userId: string }) => i.userId), [b.userId]);
      assert.ok(list.body.items[0].blockedAt);
      assert.deepEqual((await api.call("GET", "/api/profiles/me/blocked", { token: b.token })).body.items, []);
      assert.equal((await api.call("DELETE", `/api/profiles/${b.userId}/block`, { token: a.token })).status, 204);
      assert.equal((await api.call("GET", `/api/profiles/${b.userId}`, { token: a.token })).status, 200);
      assert.deepEqual((await api.call("GET", "/api/profiles/me/blocked", { token: a.token })).body.items, []);
      const relation = (await api.call("GET", `/api/profiles/${b.userId}`, { token: a.token })).body.profile.relationship;
      assert.deepEqual(relation, { following: "none", followedBy: false }, "follows are not restored by unblocking");
    });
  });

  describe("verification", () => {
    it("an admin grants and withdraws the badge", async () => {
      const admin = await registerProfileUser(services, { roles: ["admin"] });
      const granted = await api.call("PUT", `/api/profiles/${other.userId}/verification`, { token: admin.token, body: { verified: true } });
      assert.equal(granted.status, 200, JSON.stringify(granted.body));
      assert.equal(granted.body.profile.isVerified, true);
      assert.ok(granted.body.profile.verifiedAt);
      assert.equal((await api.call("GET", `/api/profiles/${other.userId}`)).body.profile.isVerified, true);
      const withdrawn = await api.call("PUT", `/api/profiles/${other.userId}/verification`, { token: admin.token, body: { verified: false } });
      assert.equal(withdrawn.body.profile.isVerified, false);
      assert.equal(withdrawn.body.profile.verifiedAt, null);
      for (const body of [{}, { verified: "yes" }, { verified: true, extra: 1 }]) {
        assert.equal((await api.call("PUT", `/api/profiles/${other.userId}/verification`, { token: admin.token, body })).status, 400);
      }
    });
  });
});
