import assert from "node:assert/strict";
import { startApi, type ApiServer } from "../../api/server.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createQuietPlatform as createTestPlatform } from "./quiet-platform.js";
import type { TestUser } from "../helpers/users.js";
import { call, clientId, makeUsers } from "../chat/chat-fixtures.js";

type Body = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of many shapes

describe("hardening: chat rules", function () {
  let platform: Platform;
  let services: Services;
  let api: ApiServer;
  let base: string;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    api = await startApi(platform, services, 0);
    base = `http://127.0.0.1:${api.port}`;
  });
  after(async () => {
    await api.close();
    await platform.close();
  });

  const req = (user: TestUser, method: string, path: string, body?: unknown) => call<Body>(base, user.accessToken, method, `/api/chat${path}`, body);
  const send = async (user: TestUser, conversationId: string, text: string) => {
    const res = await req(user, "POST", `/conversations/${conversationId}/messages`, { clientMessageId: clientId(), content: { type: "text", text } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; seq: number };
  };

  describe("a message hidden from a member by clearedSeq is hidden on every path that takes its id", () => {
    let owner: TestUser;
    let early: TestUser;
    let late: TestUser;
    let groupId: string;
    let old: { id: string; seq: number };

    before(async () => {
      [owner, early, late] = (await makeUsers(services, 3)) as [TestUser, TestUser, TestUser];
      groupId = (await req(owner, "POST", "/conversations", { type: "group", title: "History", memberIds: [early.userId] })).body.conversation.id;
      old = await send(owner, groupId, "before you joined");
      assert.equal((await req(early, "PUT", `/conversations/${groupId}/read`, { seq: old.seq })).status, 200);
      assert.equal((await req(owner, "POST", `/conversations/${groupId}/members`, { userIds: [late.userId] })).status, 200);
    });

    const hiddenPaths = (id: string): [string, string, unknown][] => [
      ["POST", `/conversations/${groupId}/messages`, { clientMessageId: clientId(), content: { type: "text", text: "re" }, replyToId: id }],
      ["POST", `/conversations/${groupId}/messages`, { clientMessageId: clientId(), forwardFromId: id, forwardFromConversationId: groupId }],
      ["PUT", `/conversations/${groupId}/messages/${id}/reaction`, { emoji: "👍" }],
      ["DELETE", `/conversations/${groupId}/messages/${id}/reaction`, undefined],
      ["GET", `/conversations/${groupId}/messages/${id}/readers`, undefined],
      ["DELETE", `/conversations/${groupId}/messages/${id}?scope=me`, undefined],
      ["PATCH", `/conversations/${groupId}/messages/${id}`, { text: "edit" }],
    ];

    it("refuses a late joiner with MESSAGE_NOT_FOUND, and stores nothing", async () => {
      const before = await platform.mongo.db.collection("messages").countDocuments({ conversationId: groupId });
      for (const [method, path, body] of hiddenPaths(old.id)) {
        const res = await req(late, method, path, body);
        assert.equal(res.status, 404, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, "MESSAGE_NOT_FOUND");
      }
      assert.equal(await platform.mongo.db.collection("messages").countDocuments({ conversationId: groupId }), before);
      const stored = await platform.mongo.db.collection("messages").findOne({ _id: old.id as never, conversationId: groupId });
      assert.deepEqual(stored?.reactions ?? {}, {});
      assert.deepEqual(stored?.hiddenFor ?? [], []);
    });

    it("refuses a member who cleared the chat the same way", async () => {
      assert.equal((await req(early, "POST", `/conversations/${groupId}/clear`)).status, 200);
      for (const [method, path, body] of hiddenPaths(old.id).slice(0, 6)) {
        assert.equal((await req(early, method, path, body)).status, 404, `${method} ${path}`);
      }
    });

    it("lists as readers only members who were there when it was sent", async () => {
      const readers = await req(owner, "GET", `/conversations/${groupId}/messages/${old.id}/readers`);
      assert.equal(readers.status, 200);
      assert.deepEqual(readers.body.items.map((r: { userId: string }) => r.userId), [early.userId]);
      // The late joiner still reaches what came after they joined.
      const fresh = await send(owner, groupId, "after you joined");
      assert.equal((await req(late, "PUT", `/conversations/${groupId}/messages/${fresh.id}/reaction`, { emoji: "❤️" })).status, 200);
    });
  });

  describe('"who can message" holds for groups', () => {
    it("refuses to create a group with, or add, someone whose setting refuses the adder; allows it once they follow the adder", async () => {
      const [guarded, stranger, friend] = (await makeUsers(services, 3)) as [TestUser, TestUser, TestUser];
      const privacy = await call<Body>(base, guarded.accessToken, "PATCH", "/api/profiles/me", { privacy: { whoCanMessage: "contacts" } });
      assert.equal(privacy.status, 200);
      assert.equal((await req(stranger, "POST", "/conversations", { type: "direct", userId: guarded.userId })).status, 403);

      const created = await req(stranger, "POST", "/conversations", { type: "group", title: "Sneaky", memberIds: [guarded.userId] });
      assert.equal(created.status, 403);
      assert.equal(created.body.error.code, "MESSAGING_NOT_ALLOWED");
      assert.deepEqual(created.body.error.details, { userIds: [guarded.userId] });
      assert.equal((await req(guarded, "GET", "/conversations")).body.items.length, 0);

      const group = await req(stranger, "POST", "/conversations", { type: "group", title: "Later", memberIds: [friend.userId] });
      assert.equal(group.status, 201);
      const add = await req(stranger, "POST", `/conversations/${group.body.conversation.id}/members`, { userIds: [guarded.userId] });
      assert.equal(add.status, 403);
      assert.equal(add.body.error.code, "MESSAGING_NOT_ALLOWED");
      assert.equal((await req(guarded, "GET", "/conversations")).body.items.length, 0);

      assert.equal((await call(base, guarded.accessToken, "POST", `/api/profiles/${stranger.userId}/follow`)).status, 200);
      const allowed = await req(stranger, "POST", `/conversations/${group.body.conversation.id}/members`, { userIds: [guarded.userId] });
      assert.equal(allowed.status, 200);
      assert.deepEqual(allowed.body.added, [guarded.userId]);
    });
  });

  describe("smaller chat rules", () => {
    it("answers 201 for a new direct chat and 200 when it already exists", async () => {
      const [a, b] = (await makeUsers(services, 2)) as [TestUser, TestUser];
      const first = await req(a, "POST", "/conversations", { type: "direct", userId: b.userId });
      assert.equal(first.status, 201);
      const again = await req(b, "POST", "/conversations", { type: "direct", userId: a.userId });
      assert.equal(again.status, 200);
      assert.equal(again.body.conversation.id, first.body.conversation.id);
    });

    it("gives no nextCursor on a full last page of the chat list (or of members)", async () => {
      const [a, b, c] = (await makeUsers(services, 3)) as [TestUser, TestUser, TestUser];
      await req(a, "POST", "/conversations", { type: "direct", userId: b.userId });
      const group = await req(a, "POST", "/conversations", { type: "group", title: "Two", memberIds: [c.userId] });
      const full = await req(a, "GET", "/conversations?limit=2");
      assert.equal(full.body.items.length, 2);
      assert.equal(full.body.nextCursor, null);
      const first = await req(a, "GET", "/conversations?limit=1");
      assert.equal(first.body.items.length, 1);
      assert.ok(first.body.nextCursor);
      const second = await req(a, "GET", `/conversations?limit=1&cursor=${first.body.nextCursor}`);
      assert.equal(second.body.items.length, 1);
      assert.equal(second.body.nextCursor, null);
      const members = await req(a, "GET", `/conversations/${group.body.conversation.id}/members?limit=2`);
      assert.equal(members.body.items.length, 2);
      assert.equal(members.body.nextCursor, null);
    });

    it("does not count messages deleted for everyone as unread, cached or rebuilt", async () => {
      const [a, b] = (await makeUsers(services, 2)) as [TestUser, TestUser];
      const chat = (await req(a, "POST", "/conversations", { type: "direct", userId: b.userId })).body.conversation.id as string;
      assert.equal((await req(b, "GET", `/conversations/${chat}`)).body.conversation.unreadCount, 0); // counter now cached
      const first = await send(a, chat, "one");
      await send(a, chat, "two");
      assert.equal((await req(b, "GET", `/conversations/${chat}`)).body.conversation.unreadCount, 2);
      assert.equal((await req(a, "DELETE", `/conversations/${chat}/messages/${first.id}?scope=everyone`)).status, 200);
      assert.equal((await req(b, "GET", `/conversations/${chat}`)).body.conversation.unreadCount, 1);
      await platform.redis.del(`unread:${b.userId}:${chat}`);
      assert.equal((await req(b, "GET", "/conversations")).body.items[0].unreadCount, 1);
    });
  });
});
