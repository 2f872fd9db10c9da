import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { AppError } from "../../shared/errors/app-error.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { USERNAME_PATTERN } from "../../shared/profiles/profile.types.js";
import { createTestPlatform } from "../helpers/platform.js";
import { createProfileUser, uniqueUsername } from "./profile-fixtures.js";

describe("profiles: ensureProfile and lookups", () => {
  let platform: Platform;
  let services: Services;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
  });
  after(async () => platform.close());

  it("creates a profile with defaults and returns the same one when called again", async () => {
    const userId = randomUUID();
    const first = await services.profiles.ensureProfile({ userId, displayName: "Ada Lovelace" });
    assert.equal(first.userId, userId);
    assert.equal(first.displayName, "Ada Lovelace");
    assert.match(first.username, /^Ada_Lovelace_[a-z0-9]{5}$/);
    assert.equal(first.usernameLower, first.username.toLowerCase());
    assert.deepEqual(first.stats, { followersCount: 0, followingCount: 0, postsCount: 0, videosCount: 0, viewsCount: 0 });
    assert.deepEqual(first.privacy, { isPrivate: false, whoCanMessage: "everyone", lastSeenVisibility: "everyone" });
    assert.equal(first.notificationPreferences.follow, true);
    assert.equal(first.notificationPreferences.system, true);
    const again = await services.profiles.ensureProfile({ userId, displayName: "Someone Else" });
    assert.equal(again.username, first.username);
    assert.equal(again.displayName, "Ada Lovelace");
  });

  it("is safe under concurrent calls for the same user: one profile, one username", async () => {
    const userId = randomUUID();
    const wanted = uniqueUsername("race");
    const results = await Promise.all(
      Array.from({ length: 12 }, () => services.profiles.ensureProfile({ userId, displayName: "Racer", username: wanted })),
    );
    assert.equal(new Set(results.map((p) => p.username)).size, 1);
    assert.equal(results[0]?.username, wanted);
    assert.equal((await services.profiles.existing([userId])).size, 1);
  });

  it("keeps a wanted username when free and derives another one when taken (case-insensitively)", async () => {
    const name = uniqueUsername("Taken");
    const owner = await services.profiles.ensureProfile({ userId: randomUUID(), displayName: "Owner", username: name });
    assert.equal(owner.username, name);
    const other = await services.profiles.ensureProfile({ userId: randomUUID(), displayName: "Other", username: name.toUpperCase() });
    assert.notEqual(other.usernameLower, owner.usernameLower);
    assert.ok(other.username.startsWith(name.toUpperCase().slice(0, 24)));
    assert.match(other.username, USERNAME_PATTERN);
  });

  it("derives valid usernames from awkward display names and cleans the display name", async () => {
    for (const displayName of ["  José   Álvarez ", "李小龙", "a", "\u0007bell\u0000", "x".repeat(300)]) {
      const profile = await services.profiles.ensureProfile({ userId: randomUUID(), displayName });
      assert.match(profile.username, USERNAME_PATTERN, displayName);
      assert.ok(profile.displayName.length >= 1 && profile.displayName.length <= 64);
      assert.doesNotMatch(profile.displayName, /\p{Cc}/u);
    }
    const jose = await services.profiles.ensureProfile({ userId: randomUUID(), displayName: "José Álvarez" });
    assert.match(jose.username, /^Jose_Alvarez_/);
  });

  it("replaces an invalid wanted username instead of storing it", async () => {
    const profile = await services.profiles.ensureProfile({ userId: randomUUID(), displayName: "Bob", username: "bad name!" });
    assert.match(profile.username, /^bad_name_[a-z0-9]{5}$/);
  });

  it("rejects malformed input without writing", async () => {
    await assert.rejects(
      services.profiles.ensureProfile({ userId: "", displayName: "X" }),
      (error: unknown) => error instanceof AppError && error.code === "VALIDATION_FAILED",
    );
    await assert.rejects(
      services.profiles.ensureProfile({ userId: { $gt: "" } as unknown as string, displayName: "X" }),
      (error: unknown) => error instanceof AppError && error.code === "VALIDATION_FAILED",
    );
  });

  it("returns summaries and existence for many users, leaving out unknown and deleted ones", async () => {
    const [a, b, gone] = await Promise.all([createProfileUser(services), createProfileUser(services), createProfileUser(services)]);
    assert.equal(await services.profiles.markDeleted(gone.userId), true);
    assert.equal(await services.profiles.markDeleted(gone.userId), false);
    const unknown = randomUUID();
    const many = await services.profiles.getMany([a.userId, b.userId, gone.userId, unknown, a.userId]);
    assert.deepEqual([...many.keys()].sort(), [a.userId, b.userId].sort());
    assert.deepEqual(many.get(a.userId), {
      userId: a.userId,
      username: a.profile.username,
      displayName: a.profile.displayName,
      avatarUrl: null,
      isVerified: false,
    });
    assert.equal(await services.profiles.exists(a.userId), true);
    assert.equal(await services.profiles.exists(gone.userId), false);
    assert.equal(await services.profiles.exists(unknown), false);
    assert.deepEqual(await services.profiles.getMany([]), new Map());
  });

  it("moves content counters and never below zero", async () => {
    const user = await createProfileUser(services);
    await services.profiles.adjustContentStat(user.userId, "postsCount", 2);
    await services.profiles.adjustContentStat(user.userId, "postsCount", -5);
    await services.profiles.adjustContentStat(user.userId, "postsCount", -1);
    const own = await services.profiles.getOwn(user.actor);
    assert.equal(own.stats.postsCount, 1);
  });

  it("reports notification preferences per type", async () => {
    const user = await createProfileUser(services);
    await services.profiles.updateOwn(user.actor, { notificationPreferences: { post_like: false } });
    const prefs = await services.profiles.notificationPreferences(user.userId);
    assert.equal(prefs?.post_like, false);
    assert.equal(prefs?.message, true);
    assert.equal(await services.profiles.notificationPreferences(randomUUID()), null);
  });
});
