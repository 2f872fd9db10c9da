import assert from "node:assert/strict";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { createCast, createPost } from "./post-fixtures.js";

describe("posts: smoke", () => {
  let platform: Platform;
  let services: Services;
  before(async () => {
    ({ platform, services } = await createTestPlatform());
  });
  after(async () => platform.close());

  it("creates, reads, lists and feeds a post", async () => {
    const cast = await createCast(services);
    const post = await createPost(services, cast.author, { text: "hi #Hello @nobody" });
    assert.deepEqual(post.hashtags, ["hello"]);
    const got = await services.posts.posts.get(cast.follower.actor, post.id);
    assert.equal(got.id, post.id);
    const mine = await services.posts.queries.byUser(cast.stranger.actor, cast.author.userId, { limit: 10 });
    assert.equal(mine.items.length, 1);
    const feed = await services.posts.feed.home(cast.follower.userId, { limit: 10 });
    assert.deepEqual(feed.items.map((p) => p.id), [post.id]);
    const tag = await services.posts.queries.byHashtag(undefined, "hello", { limit: 10 });
    assert.ok(tag.items.some((p) => p.id === post.id));
    const found = await services.posts.queries.search(undefined, "hello", 10);
    assert.ok(found.some((p) => p.id === post.id));
  });
});
