import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { PostView } from "../../shared/posts/post.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { createCast, createPost, EXPECTED, VIEWERS, viewerOf, type Cast, type ViewerName } from "./post-fixtures.js";

const KINDS = ["public", "followers", "friends", "private"] as const;
type Kind = (typeof KINDS)[number];

describe("posts: privacy matrix on every read path", function () {
  this.timeout(30_000);
  let platform: Platform;
  let services: Services;
  let cast: Cast;
  let word: string;
  const posts = {} as Record<Kind, PostView>;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    cast = await createCast(services);
    word = `w${randomBytes(5).toString("hex")}`;
    for (const kind of KINDS) posts[kind] = await createPost(services, cast.author, { text: `${word} #${word} a ${kind} post`, visibility: kind });
  });
  after(async () => platform.close());

  const expectedIds = (name: ViewerName): string[] => KINDS.filter((k) => EXPECTED[k][name]).map((k) => posts[k].id).sort();
  const ids = (items: PostView[]): string[] => items.map((p) => p.id).filter((id) => KINDS.some((k) => posts[k].id === id)).sort();

  for (const name of VIEWERS) {
    it(`single post reads for ${name}: visible ones, POST_NOT_FOUND for the rest`, async () => {
      for (const kind of KINDS) {
        const viewer = viewerOf(cast, name)?.actor;
        const read = services.posts.posts.get(viewer, posts[kind].id);
        if (EXPECTED[kind][name]) assert.equal((await read).id, posts[kind].id, `${name} should see ${kind}`);
        else await assert.rejects(read, { code: "POST_NOT_FOUND" }, `${name} should not see ${kind}`);
        const history = services.posts.posts.history(viewer, posts[kind].id);
        if (EXPECTED[kind][name]) assert.deepEqual(await history, []);
        else await assert.rejects(history, { code: "POST_NOT_FOUND" });
        const thread = services.posts.comments.thread(viewer, posts[kind].id, { limit: 5 });
        if (EXPECTED[kind][name]) assert.deepEqual((await thread).items, []);
        else await assert.rejects(thread, { code: "POST_NOT_FOUND" });
      }
    });

    it(`author timeline, hashtag and search for ${name}`, async () => {
      const viewer = viewerOf(cast, name)?.actor;
      const timeline = services.posts.queries.byUser(viewer, cast.author.userId, { limit: 20 });
      if (name === "blocked") await assert.rejects(timeline, { code: "POST_NOT_FOUND" });
      else assert.deepEqual(ids((await timeline).items), expectedIds(name));
      assert.deepEqual(ids((await services.posts.queries.byHashtag(viewer, word, { limit: 20 })).items), expectedIds(name));
      assert.deepEqual(ids(await services.posts.queries.search(viewer, word, 20)), expectedIds(name));
    });
  }

  it("home feeds show what each follower may see, and nothing to non-followers", async () => {
    const feedIds = async (userId: string): Promise<string[]> => ids((await services.posts.feed.home(userId, { limit: 40 })).items);
    assert.deepEqual(await feedIds(cast.author.userId), expectedIds("self"));
    assert.deepEqual(await feedIds(cast.follower.userId), expectedIds("follower"));
    assert.deepEqual(await feedIds(cast.friend.userId), expectedIds("friend"));
    assert.deepEqual(await feedIds(cast.stranger.userId), []);
    assert.deepEqual(await feedIds(cast.blocked.userId), []);
  });

  it("a share never widens the original's audience", async () => {
    // The friend sees public, followers and friends posts, and shares each of them publicly.
    const shares = {} as Record<Kind, PostView>;
    for (const kind of ["public", "followers", "friends"] as const) {
      shares[kind] = await services.posts.posts.create(cast.friend.actor, { text: `look ${word}`, media: [], visibility: "public", sharedPostId: posts[kind].id });
      assert.equal(shares[kind].shared?.id, posts[kind].id);
    }
    await assert.rejects(services.posts.posts.create(cast.friend.actor, { text: "", media: [], visibility: "public", sharedPostId: posts.private.id }), { code: "POST_NOT_FOUND" });
    await assert.rejects(services.posts.posts.create(cast.stranger.actor, { text: "", media: [], visibility: "public", sharedPostId: posts.followers.id }), { code: "POST_NOT_FOUND" });
    for (const name of VIEWERS) {
      const viewer = viewerOf(cast, name);
      for (const kind of ["public", "followers", "friends"] as const) {
        // The sharer sees their own shares; everyone else needs to see the original too.
        const expected = name === "blocked" ? false : EXPECTED[kind][name];
        const read = services.posts.posts.get(viewer?.actor, shares[kind].id);
        if (expected) assert.equal((await read).shared?.id, posts[kind].id, `${name} / ${kind}`);
        else await assert.rejects(read, { code: "POST_NOT_FOUND" }, `${name} should not see the share of ${kind}`);
        const listed = (await services.posts.queries.byUser(viewer?.actor, cast.friend.userId, { limit: 20 })).items.map((p) => p.id);
        assert.equal(listed.includes(shares[kind].id), expected, `${name} / ${kind} in the sharer's timeline`);
      }
    }
    const original = await services.posts.posts.get(cast.author.actor, posts.public.id);
    assert.equal(original.stats.shares, 1);
  });

  it("a private account's public posts are for its accepted followers only", async () => {
    await services.profiles.updateOwn(cast.author.actor, { privacy: { isPrivate: true } });
    try {
      await assert.rejects(services.posts.posts.get(undefined, posts.public.id), { code: "POST_NOT_FOUND" });
      await assert.rejects(services.posts.posts.get(cast.stranger.actor, posts.public.id), { code: "POST_NOT_FOUND" });
      assert.equal((await services.posts.posts.get(cast.follower.actor, posts.public.id)).id, posts.public.id);
      assert.deepEqual(ids((await services.posts.queries.byHashtag(cast.stranger.actor, word, { limit: 20 })).items), []);
      assert.deepEqual(ids(await services.posts.queries.search(undefined, word, 20)), []);
    } finally {
      await services.profiles.updateOwn(cast.author.actor, { privacy: { isPrivate: false } });
    }
  });

  it("mentions name only users who may see the post", async () => {
    const followerName = cast.follower.profile.username;
    const strangerName = cast.stranger.profile.username;
    const blockedName = cast.blocked.profile.username;
    const post = await createPost(services, cast.author, { text: `hi @${followerName} @${strangerName} @${blockedName}`, visibility: "followers" });
    // Blocked users are not mentioned at all; the stranger is mentioned but cannot see a followers post.
    assert.deepEqual(post.mentions.sort(), [cast.follower.userId, cast.stranger.userId].sort());
  });
});
