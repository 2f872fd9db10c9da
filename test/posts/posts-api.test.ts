import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { ObjectId } from "mongodb";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { ApiClient } from "../profiles/api-client.js";
import { registerProfileUser, type ProfileUser } from "../profiles/profile-fixtures.js";

/** The test's own reads of a user's posts (posts are sharded by hashed _id). */
const INSPECT = "scatter-gather: test inspection of a user's posts";

describe("posts API: routes, edit history and bad input", function () {
  this.timeout(30_000);
  let platform: Platform;
  let services: Services;
  let api: ApiClient;
  let me: ProfileUser;
  let other: ProfileUser;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    api = await ApiClient.start(platform, services);
    [me, other] = await Promise.all([registerProfileUser(services), registerProfileUser(services)]);
    await services.follows.follow(other.actor, me.userId);
  });
  after(async () => {
    await api.close();
    await platform.close();
  });

  it("creates, reads, edits with history, comments, reacts and deletes over HTTP", async () => {
    const tag = `t${randomBytes(4).toString("hex")}`;
    const created = await api.call("POST", "/api/posts", { token: me.token, body: { text: `first #${tag}`, clientId: "client-0001" } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.post.id as string;
    const retried = await api.call("POST", "/api/posts", { token: me.token, body: { text: `first #${tag}`, clientId: "client-0001" } });
    assert.equal(retried.body.post.id, id, "a retried create returns the same post");

    assert.equal((await api.call("GET", `/api/posts/${id}`)).body.post.text, `first #${tag}`);
    const edit1 = await api.call("PATCH", `/api/posts/${id}`, { token: me.token, body: { text: "second #other" } });
    assert.equal(edit1.status, 200, JSON.stringify(edit1.body));
    assert.deepEqual([edit1.body.post.version, edit1.body.post.hashtags], [2, ["other"]]);
    await api.call("PATCH", `/api/posts/${id}`, { token: me.token, body: { text: `third ${tag}x #${tag}`, location: { name: "Quay", longitude: 2.35, latitude: 48.85 } } });
    const noop = await api.call("PATCH", `/api/posts/${id}`, { token: me.token, body: { text: `third ${tag}x #${tag}` } });
    assert.deepEqual([noop.status, noop.body.error.code], [400, "NO_CHANGES"]);
    const foreign = await api.call("PATCH", `/api/posts/${id}`, { token: other.token, body: { text: "mine now" } });
    assert.equal(foreign.status, 404);
    const history = await api.call("GET", `/api/posts/${id}/history`);
    assert.deepEqual(history.body.items.map((h: { version: number; text: string }) => [h.version, h.text]), [[1, `first #${tag}`], [2, "second #other"]]);
    assert.equal(history.body.items[1].location, null);

    const comment = await api.call("POST", `/api/posts/${id}/comments`, { token: other.token, body: { text: "nice" } });
    assert.equal(comment.status, 201);
    const reply = await api.call("POST", `/api/posts/${id}/comments`, { token: me.token, body: { text: "thanks", parentId: comment.body.comment.id } });
    assert.equal(reply.body.comment.depth, 2);
    assert.equal((await api.call("GET", `/api/posts/${id}/comments`)).body.items.length, 2);
    assert.equal((await api.call("GET", `/api/posts/${id}/comments/top-level`)).body.items.length, 1);
    assert.equal((await api.call("GET", `/api/posts/${id}/comments/${comment.body.comment.id}/replies`)).body.items[0].text, "thanks");
    assert.equal((await api.call("PUT", `/api/posts/${id}/reaction`, { token: other.token, body: { type: "love" } })).body.myReaction, "love");
    assert.equal((await api.call("PUT", `/api/posts/${id}/comments/${comment.body.comment.id}/reaction`, { token: me.token, body: { type: "haha" } })).status, 200);
    assert.equal((await api.call("GET", `/api/posts/${id}/reactions`)).body.items[0].userId, other.userId);
    assert.equal((await api.call("GET", `/api/posts/${id}`, { token: other.token })).body.post.myReaction, "love");
    assert.equal((await api.call("DELETE", `/api/posts/${id}/comments/${reply.body.comment.id}`, { token: me.token })).status, 204);

    const feed = await api.call("GET", "/api/feed?limit=5", { token: other.token });
    assert.equal(feed.status, 200);
    assert.ok(feed.body.items.some((p: { id: string }) => p.id === id));
    assert.equal((await api.call("GET", "/api/feed")).status, 401);
    const byUser = await api.call("GET", `/api/posts/users/${me.userId}`);
    assert.ok(byUser.body.items.some((p: { id: string }) => p.id === id));
    const byTag = await api.call("GET", `/api/hashtags/${tag.toUpperCase()}/posts`);
    assert.ok(byTag.body.items.some((p: { id: string }) => p.id === id));
    assert.equal((await api.call("GET", "/api/hashtags/trending")).status, 200);
    assert.equal((await api.call("GET", "/api/posts/trending")).status, 200);
    assert.ok((await api.call("GET", `/api/posts/search?q=${tag}x`)).body.items.some((p: { id: string }) => p.id === id));

    assert.equal((await api.call("DELETE", `/api/posts/${id}`, { token: other.token })).status, 404);
    assert.equal((await api.call("DELETE", `/api/posts/${id}`, { token: me.token })).status, 204);
    assert.equal((await api.call("GET", `/api/posts/${id}`)).status, 404);
  });

  it("a create retried concurrently, or after a crash between its claim and its post, makes one post under the claimed id", async () => {
    const body = { text: "once", clientId: `race-${randomBytes(4).toString("hex")}` };
    const answers = await Promise.all(Array.from({ length: 8 }, () => api.call("POST", "/api/posts", { token: me.token, body })));
    const ids = new Set(answers.map((a) => a.body.post?.id as string));
    assert.equal(ids.size, 1, JSON.stringify(answers.map((a) => a.body)));
    const posts = platform.mongo.db.collection("posts");
    const mine = await posts.find({ userId: me.userId, visibility: "public", isDeleted: false }, { comment: INSPECT }).toArray();
    assert.equal(mine.filter((p) => p.clientId === body.clientId).length, 1);
    // A claim whose post was never written (the first attempt died in between): the retry completes it under that id.
    const claimed = new ObjectId();
    await platform.mongo.db.collection<{ _id: string; postId: ObjectId; createdAt: Date }>("postClientIds").insertOne({ _id: `${me.userId}:crashed-0001`, postId: claimed, createdAt: new Date() });
    const completed = await api.call("POST", "/api/posts", { token: me.token, body: { text: "completed", clientId: "crashed-0001" } });
    assert.equal(completed.status, 201, JSON.stringify(completed.body));
    assert.equal(completed.body.post.id, claimed.toHexString());
    assert.equal((await api.call("GET", `/api/posts/${claimed.toHexString()}`)).body.post.text, "completed");
  });

  it("refuses bad input with 4xx and changes nothing", async () => {
    const count = async (): Promise<number> => platform.mongo.db.collection("posts").countDocuments({ userId: me.userId }, { comment: INSPECT });
    const before = await count();
    const bad: unknown[] = [
      {},
      { text: "   " },
      { text: "x", unknown: 1 },
      { text: "x", $where: "1" },
      { text: "bad\u0000text" },
      { text: "x".repeat(5001) },
      { text: "x", visibility: "everyone" },
      { text: "x", poll: { options: ["only one"], closesAt: new Date(Date.now() + 3600_000).toISOString() } },
      { text: "x", poll: { options: ["a", "b", "c", "d", "e"], closesAt: new Date(Date.now() + 3600_000).toISOString() } },
      { text: "x", poll: { options: ["a", "A"], closesAt: new Date(Date.now() + 3600_000).toISOString() } },
      { text: "x", poll: { options: ["a", "b"], closesAt: new Date(Date.now() + 1000).toISOString() } },
      { text: "x", location: { name: "n", longitude: 200, latitude: 0 } },
      { text: "x", sharedPostId: "not-an-id" },
      { text: "x", media: [{ uploadId: "up1" }] },
      "not json",
    ];
    for (const body of bad) {
      const res = await api.call("POST", "/api/posts", { token: me.token, body });
      assert.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(body)} → ${res.status}`);
      assert.ok(res.body?.error?.code, JSON.stringify(res.body));
    }
    assert.equal((await api.call("POST", "/api/posts", { body: { text: "anonymous" } })).status, 401);
    const missing = new ObjectId().toHexString();
    assert.equal((await api.call("GET", `/api/posts/${missing}`)).status, 404);
    assert.equal((await api.call("GET", "/api/posts/zzz")).status, 400);
    assert.equal((await api.call("GET", `/api/posts/${missing}?x=1`)).status, 400);
    assert.equal((await api.call("POST", `/api/posts/${missing}/comments`, { token: me.token, body: { text: "hi" } })).status, 404);
    assert.equal((await api.call("PUT", `/api/posts/${missing}/reaction`, { token: me.token, body: { type: "meh" } })).status, 400);
    assert.equal((await api.call("GET", "/api/posts/search?q=")).status, 400);
    assert.equal((await api.call("GET", "/api/feed?cursor=%24bad", { token: me.token })).status, 400);
    assert.equal((await api.call("GET", "/api/feed?cursor=AAAA", { token: me.token })).status, 400);
    assert.equal((await api.call("GET", "/api/hashtags/no%20spaces/posts")).status, 400);
    assert.equal(await count(), before);
  });
});
