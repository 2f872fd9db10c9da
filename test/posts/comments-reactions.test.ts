import assert from "node:assert/strict";
import { ObjectId } from "mongodb";
import { REACTION_TYPES, type ReactionType } from "../../shared/posts/post.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { createProfileUsers, type ProfileUser } from "../profiles/profile-fixtures.js";
import { createCast, createPost } from "./post-fixtures.js";

describe("posts: comments, reactions, polls and their counters", function () {
  this.timeout(60_000);
  let platform: Platform;
  let services: Services;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
  });
  after(async () => platform.close());

  it("threads at most five levels deep; a deeper reply attaches to its level-5 ancestor", async () => {
    const [author, other] = await createProfileUsers(services, 2);
    const post = await createPost(services, author);
    const c = services.posts.comments;
    const chain = [await c.create(author.actor, post.id, { text: "level 1" })];
    for (let i = 2; i <= 7; i++) chain.push(await c.create(i % 2 ? author.actor : other.actor, post.id, { text: `reply ${i}`, parentId: chain[chain.length - 1]?.id }));
    assert.deepEqual(chain.map((x) => x.depth), [1, 2, 3, 4, 5, 5, 5]);
    const level5 = chain[4]!;
    assert.equal(chain[5]!.parentId, level5.id);
    assert.equal(chain[6]!.parentId, level5.id, "a reply to a reply past level 5 attaches to the level-5 ancestor");
    assert.equal(chain[6]!.replyToId, chain[5]!.id);
    assert.equal(chain[6]!.replyToUserId, chain[5]!.author?.userId);
    const second = await c.create(other.actor, post.id, { text: "second top-level" });
    const underFirst = await c.create(other.actor, post.id, { text: "late reply to level 1", parentId: chain[0]!.id });

    // The whole thread, depth first, in two pages.
    const first = await c.thread(undefined, post.id, { limit: 5 });
    const rest = await c.thread(undefined, post.id, { limit: 5, cursor: first.nextCursor ?? "" });
    assert.equal(rest.nextCursor, null);
    assert.deepEqual(
      [...first.items, ...rest.items].map((x) => x.text),
      ["level 1", "reply 2", "reply 3", "reply 4", "reply 5", "reply 6", "reply 7", "late reply to level 1", "second top-level"],
    );
    const top = await c.replies(undefined, post.id, null, { limit: 10 });
    assert.deepEqual(top.items.map((x) => x.id), [chain[0]!.id, second.id]);
    const replies = await c.replies(undefined, post.id, chain[0]!.id, { limit: 10 });
    assert.deepEqual(replies.items.map((x) => x.id), [chain[1]!.id, underFirst.id]);
    assert.equal(replies.items[0]?.stats.replies, 1);

    // Edit (a no-op is refused), delete leaves a placeholder, counters follow.
    await assert.rejects(c.edit(other.actor, post.id, chain[1]!.id, "reply 2"), { code: "NO_CHANGES" });
    await assert.rejects(c.edit(author.actor, post.id, chain[1]!.id, "not mine"), { code: "COMMENT_NOT_FOUND" });
    assert.equal((await c.edit(other.actor, post.id, chain[1]!.id, "reply 2, edited")).editedAt !== null, true);
    await c.delete(other.actor, post.id, chain[1]!.id);
    await c.delete(other.actor, post.id, chain[1]!.id);
    const after = await c.thread(undefined, post.id, { limit: 20 });
    const placeholder = after.items.find((x) => x.id === chain[1]!.id);
    assert.deepEqual([placeholder?.isDeleted, placeholder?.text, placeholder?.author], [true, "", null]);
    assert.equal(after.items.length, 9, "the thread keeps its shape");
    assert.equal((await services.posts.posts.get(undefined, post.id)).stats.comments, 8);
    await assert.rejects(c.create(author.actor, post.id, { text: "to a deleted one", parentId: chain[1]!.id }), { code: "COMMENT_NOT_FOUND" });
    await assert.rejects(c.create(author.actor, post.id, { text: "bad parent", parentId: new ObjectId().toHexString() }), { code: "COMMENT_NOT_FOUND" });
  });

  it("keeps counters exact under 500 concurrent random reactions, votes and comments", async () => {
    const cast = await createCast(services);
    const users = await createProfileUsers(services, 40);
    const post = await createPost(services, cast.author, { text: "vote!", poll: { options: ["a", "b", "c"], multiple: true, closesAt: new Date(Date.now() + 3600_000) } });
    const comment = await services.posts.comments.create(cast.author.actor, post.id, { text: "react to me" });
    const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T;
    const ops = Array.from({ length: 500 }, () => {
      const user: ProfileUser = pick(users);
      const roll = Math.random();
      if (roll < 0.35) return services.posts.reactions.react(user.actor, post.id, undefined, pick(REACTION_TYPES));
      if (roll < 0.45) return services.posts.reactions.unreact(user.actor, post.id, undefined);
      if (roll < 0.6) return services.posts.reactions.react(user.actor, post.id, comment.id, pick(REACTION_TYPES));
      if (roll < 0.8) return services.posts.posts.vote(user.actor, post.id, [pick(["o1", "o2", "o3"]), pick(["o1", "o2", "o3"])]).catch((e: { code?: string }) => {
        if (e.code !== "ALREADY_VOTED") throw e;
      });
      return services.posts.comments.create(user.actor, post.id, { text: "a comment", parentId: Math.random() < 0.5 ? comment.id : undefined });
    });
    await Promise.all(ops);

    const db = platform.mongo.db;
    const postDoc = await db.collection("posts").findOne({ _id: new ObjectId(post.id) });
    const commentDoc = await db.collection("comments").findOne({ postId: new ObjectId(post.id), _id: new ObjectId(comment.id) });
    for (const [target, doc] of [[post.id, postDoc], [comment.id, commentDoc]] as const) {
      let total = 0;
      for (const type of REACTION_TYPES) {
        const counted = await db.collection("reactions").countDocuments({ targetId: new ObjectId(target), type });
        total += counted;
        assert.equal(doc?.stats.reactions[type as ReactionType], counted, `${type} on ${target}`);
      }
      assert.equal(doc?.stats.reactionCount, total);
    }
    const comments = await db.collection("comments").countDocuments({ postId: new ObjectId(post.id), isDeleted: false });
    assert.equal(postDoc?.stats.comments, comments);
    const replies = await db.collection("comments").countDocuments({ postId: new ObjectId(post.id), parentId: new ObjectId(comment.id), isDeleted: false });
    assert.equal(commentDoc?.stats.replies, replies);
    const ballots = await db.collection("pollVotes").find({ postId: new ObjectId(post.id), pollVersion: 1 }).toArray();
    assert.equal(postDoc?.poll.voters, ballots.length);
    for (const option of ["o1", "o2", "o3"]) {
      assert.equal(postDoc?.poll.counts[option], ballots.filter((b) => b.optionIds.includes(option)).length, option);
    }
    // Engagement follows the counters: reactions + 2 × comments + 3 × shares.
    assert.equal(postDoc?.stats.engagement, postDoc?.stats.reactionCount + 2 * comments);
  });

  it("reactions: one per user, a change replaces it, who-reacted pages hide blocked users", async () => {
    const cast = await createCast(services);
    const post = await createPost(services, cast.author);
    const r = services.posts.reactions;
    await r.react(cast.follower.actor, post.id, undefined, "like");
    await r.react(cast.follower.actor, post.id, undefined, "like");
    await r.react(cast.follower.actor, post.id, undefined, "love");
    await r.react(cast.stranger.actor, post.id, undefined, "wow");
    const view = await services.posts.posts.get(cast.follower.actor, post.id);
    assert.deepEqual([view.stats.reactions.like, view.stats.reactions.love, view.stats.reactions.wow, view.stats.reactionCount, view.myReaction], [0, 1, 1, 2, "love"]);
    const page = await r.reactors(cast.author.actor, post.id, undefined, { limit: 1 });
    assert.equal(page.items.length, 1);
    const next = await r.reactors(cast.author.actor, post.id, undefined, { limit: 1, cursor: page.nextCursor ?? "" });
    assert.deepEqual([...page.items, ...next.items].map((i) => i.userId).sort(), [cast.follower.userId, cast.stranger.userId].sort());
    const loves = await r.reactors(undefined, post.id, undefined, { limit: 10, type: "love" });
    assert.deepEqual(loves.items.map((i) => i.type), ["love"]);
    await assert.rejects(r.react(cast.blocked.actor, post.id, undefined, "angry"), { code: "POST_NOT_FOUND" });
    await r.unreact(cast.follower.actor, post.id, undefined);
    await r.unreact(cast.follower.actor, post.id, undefined);
    assert.equal((await services.posts.posts.get(undefined, post.id)).stats.reactionCount, 1);
  });

  it("edit history: one snapshot per replaced version, racing edits of one version conflict", async () => {
    const [author] = await createProfileUsers(services, 1);
    const post = await createPost(services, author, { text: "v1 #one" });
    const p = services.posts.posts;
    const results = await Promise.allSettled([p.edit(author.actor, post.id, { text: "v2 a" }), p.edit(author.actor, post.id, { text: "v2 b" })]);
    const won = results.filter((r) => r.status === "fulfilled");
    assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.status)));
    assert.deepEqual(results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.code), ["CONFLICT"]);
    await p.edit(author.actor, post.id, { text: "v3 #three" });
    const history = await p.history(undefined, post.id);
    assert.deepEqual(history.map((h) => [h.version, h.text]), [[1, "v1 #one"], [2, (won[0] as PromiseFulfilledResult<{ text: string }>).value.text]]);
    const current = await p.get(undefined, post.id);
    assert.deepEqual([current.version, current.text, current.hashtags], [3, "v3 #three", ["three"]]);
    assert.equal((await services.posts.queries.byHashtag(undefined, "one", { limit: 50 })).items.some((x) => x.id === post.id), false, "the old tag no longer finds it");
  });

  it("polls: single choice, one vote per user, closing, editing the options resets the votes", async () => {
    const [author, a, b] = await createProfileUsers(services, 3);
    const post = await createPost(services, author, { text: "pick", poll: { options: ["x", "y"], multiple: false, closesAt: new Date(Date.now() + 3600_000) } });
    const p = services.posts.posts;
    await assert.rejects(p.vote(a.actor, post.id, ["o1", "o2"]), { code: "VALIDATION_FAILED" });
    await assert.rejects(p.vote(a.actor, post.id, ["o9"]), { code: "VALIDATION_FAILED" });
    const voted = await p.vote(a.actor, post.id, ["o1"]);
    assert.deepEqual(voted.poll?.options.map((o) => o.votes), [1, 0]);
    assert.deepEqual(voted.poll?.myVotes, ["o1"]);
    await assert.rejects(p.vote(a.actor, post.id, ["o2"]), { code: "ALREADY_VOTED" });
    const moved = await p.edit(author.actor, post.id, { poll: { options: ["x", "y"], multiple: false, closesAt: new Date(Date.now() + 7200_000) } });
    assert.deepEqual(moved.poll?.options.map((o) => o.votes), [1, 0], "moving the closing time keeps the votes");
    const edited = await p.edit(author.actor, post.id, { poll: { options: ["x", "y", "z"], multiple: false, closesAt: new Date(Date.now() + 3600_000) } });
    assert.deepEqual(edited.poll?.options.map((o) => o.votes), [0, 0, 0]);
    assert.equal(edited.poll?.voters, 0);
    assert.equal((await p.vote(a.actor, post.id, ["o3"])).poll?.options[2]?.votes, 1, "a fresh ballot after the options changed");
    await assert.rejects(p.edit(author.actor, post.id, { poll: { options: ["a"], multiple: false, closesAt: new Date(Date.now() + 60_000) } as never }), { code: "VALIDATION_FAILED" });
    await platform.mongo.db.collection("posts").updateOne({ _id: new ObjectId(post.id) }, { $set: { "poll.closesAt": new Date(Date.now() - 1000) } });
    await assert.rejects(p.vote(b.actor, post.id, ["o1"]), { code: "POLL_CLOSED" });
  });
});
