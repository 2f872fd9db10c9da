import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { ObjectId } from "mongodb";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { createProfileUser, createProfileUsers } from "../profiles/profile-fixtures.js";
import { createPost } from "./post-fixtures.js";

describe("hashtags: trending (expected vs observed, peak with half-life)", function () {
  this.timeout(60_000);
  let platform: Platform;
  let services: Services;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
  });
  after(async () => platform.close());

  it("ranks a fixture by growth over yesterday's baseline, and a deleted post's contribution comes out", async () => {
    const suffix = randomBytes(3).toString("hex");
    const [alpha, beta, gamma, delta, eps] = ["alpha", "beta", "gamma", "delta", "eps"].map((t) => `${t}${suffix}`) as [string, string, string, string, string];
    const trends = services.posts.trends;
    // Noon of today (UTC), so the refreshes two hours on stay in the same day as the posts.
    const today = new Date();
    const now = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), 12));
    const yesterday = new Date(now.getTime() - 86_400_000).toISOString();
    const synthetic = async (tag: string, accounts: number, at: string): Promise<void> => {
      const users = await Promise.all(Array.from({ length: accounts }, () => createProfileUser(services)));
      for (const u of users) await trends.postCreated({ postId: new ObjectId().toHexString(), authorId: u.userId, visibility: "public", hashtags: [tag], createdAt: at });
    };
    await synthetic(alpha, 1, yesterday);
    await synthetic(alpha, 6, now.toISOString()); // (6 − 1)² / 1 = 25
    await synthetic(beta, 5, now.toISOString()); // (5 − 1)² / 1 = 16 (no baseline: expected 1)
    await synthetic(gamma, 4, yesterday);
    await synthetic(gamma, 4, now.toISOString()); // no growth: 0
    await synthetic(delta, 2, now.toISOString()); // under the minimum of 3 accounts: 0

    // Real posts: seven accounts use eps; one of them twice (one account, two uses).
    const users = await createProfileUsers(services, 7);
    const posts = [];
    for (const u of users) posts.push(await createPost(services, u, { text: `#${eps} now` }));
    posts.push(await createPost(services, users[0]!, { text: `#${eps} again` }));
    // Not counted: a followers-only post, and a public post of a private account.
    const [quiet, hidden] = await createProfileUsers(services, 2);
    await createPost(services, quiet, { text: `#${alpha}`, visibility: "followers" });
    await services.profiles.updateOwn(hidden.actor, { privacy: { isPrivate: true } });
    await createPost(services, hidden, { text: `#${alpha}` });

    await trends.refresh(now);
    const ranking = async (): Promise<Map<string, { score: number; usesToday: number; accountsToday: number }>> =>
      new Map((await trends.trending(100)).filter((t) => t.tag.endsWith(suffix)).map((t) => [t.tag, t]));
    let ranked = await ranking();
    assert.deepEqual([...ranked.keys()], [eps, alpha, beta]);
    assert.deepEqual([ranked.get(eps)?.score, ranked.get(alpha)?.score, ranked.get(beta)?.score], [36, 25, 16]);
    assert.deepEqual([ranked.get(eps)?.usesToday, ranked.get(eps)?.accountsToday], [8, 7]);
    assert.equal(ranked.get(alpha)?.accountsToday, 6, "neither the followers-only post nor the private account's post counted");

    // Four accounts' posts are deleted (one by moderation): eps falls to (3 − 1)² = 4, its old peak forgotten.
    const [admin] = await createProfileUsers(services, 1);
    for (const [i, post] of posts.slice(3, 7).entries()) {
      await services.posts.posts.delete(i === 0 ? { ...admin.actor, roles: ["user", "admin"] } : users[3 + i]!.actor, post.id);
    }
    await trends.refresh(new Date(now.getTime() + 60_000));
    ranked = await ranking();
    assert.deepEqual([...ranked.keys()], [alpha, beta, eps]);
    assert.equal(ranked.get(eps)?.accountsToday, 3);
    assert.ok(Math.abs((ranked.get(eps)?.score ?? 0) - 4) < 0.01, `eps scored ${ranked.get(eps)?.score}`);

    // The peak decays with the half-life (2 hours): two hours on, alpha's 25 (no new uses) is 12.5.
    await trends.refresh(new Date(now.getTime() + 60_000 + 2 * 3600_000));
    ranked = await ranking();
    assert.ok(Math.abs((ranked.get(alpha)?.score ?? 0) - 12.5) < 0.1, `alpha decayed to ${ranked.get(alpha)?.score}`);

    // The weekly recalculation recounts from the posts themselves: eps keeps its 3 accounts,
    // the synthetic tags (no posts behind them) fall out.
    const result = await trends.recalculate(new Date(now.getTime() + 120_000));
    assert.ok(result.recounted >= 5);
    ranked = await ranking();
    assert.deepEqual([...ranked.keys()], [eps]);
    assert.equal(ranked.get(eps)?.accountsToday, 3);
  });
});
