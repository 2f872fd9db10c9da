import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startApi, type ApiServer } from "../../api/server.js";
import type { ConversationView, SendResult } from "../../shared/chat/chat.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import type { TestUser } from "../helpers/users.js";
import { call, clientId, makeUsers } from "./chat-fixtures.js";

type Route = { method: string; path: string; body?: unknown };

describe("chat REST routes: /api/chat", function () {
  let platform: Platform;
  let services: Services;
  let api: ApiServer;
  let base: string;
  let owner: TestUser;
  let member: TestUser;
  let outsider: TestUser;
  let group: ConversationView;
  let message: SendResult;

  before(async function () {
    ({ platform, services } = await createTestPlatform());
    api = await startApi(platform, services, 0);
    base = `http://127.0.0.1:${api.port}`;
    [owner, member, outsider] = (await makeUsers(services, 3)) as [TestUser, TestUser, TestUser];
    const created = await call<{ conversation: ConversationView }>(base, owner.accessToken, "POST", "/api/chat/conversations", {
      type: "group",
      title: "Routes",
      memberIds: [member.userId],
    });
    assert.equal(created.status, 201);
    group = created.body.conversation;
    const sent = await call<SendResult>(base, member.accessToken, "POST", `/api/chat/conversations/${group.id}/messages`, {
      clientMessageId: clientId(),
      content: { type: "text", text: "hello routes" },
    });
    assert.equal(sent.status, 201);
    message = sent.body;
  });

  after(async () => {
    await api.close();
    await platform.close();
  });

  /** Every route that acts on one conversation, with a body it would accept. */
  const conversationRoutes = (id: string, messageId: string): Route[] => [
    { method: "GET", path: `/api/chat/conversations/${id}` },
    { method: "PATCH", path: `/api/chat/conversations/${id}`, body: { title: "Renamed" } },
    { method: "PATCH", path: `/api/chat/conversations/${id}/settings`, body: { pinned: true } },
    { method: "POST", path: `/api/chat/conversations/${id}/clear` },
    { method: "GET", path: `/api/chat/conversations/${id}/members` },
    { method: "POST", path: `/api/chat/conversations/${id}/members`, body: { userIds: [outsider.userId] } },
    { method: "PATCH", path: `/api/chat/conversations/${id}/members/${member.userId}`, body: { role: "admin" } },
    { method: "DELETE", path: `/api/chat/conversations/${id}/members/${member.userId}` },
    { method: "GET", path: `/api/chat/conversations/${id}/messages?limit=25` },
    { method: "POST", path: `/api/chat/conversations/${id}/messages`, body: { clientMessageId: clientId(), content: { type: "text", text: "x" } } },
    { method: "PATCH", path: `/api/chat/conversations/${id}/messages/${messageId}`, body: { text: "edited" } },
    { method: "DELETE", path: `/api/chat/conversations/${id}/messages/${messageId}?scope=me` },
    { method: "PUT", path: `/api/chat/conversations/${id}/messages/${messageId}/reaction`, body: { emoji: "👍" } },
    { method: "DELETE", path: `/api/chat/conversations/${id}/messages/${messageId}/reaction` },
    { method: "GET", path: `/api/chat/conversations/${id}/messages/${messageId}/readers` },
    { method: "PUT", path: `/api/chat/conversations/${id}/read`, body: { seq: 1 } },
    { method: "PUT", path: `/api/chat/conversations/${id}/delivered`, body: { seq: 1 } },
    { method: "GET", path: `/api/chat/conversations/${id}/gallery?kind=file` },
    { method: "POST", path: `/api/chat/conversations/${id}/leave` },
  ];

  it("requires a valid access token on every route", async () => {
    const routes: Route[] = [
      { method: "GET", path: "/api/chat/conversations" },
      { method: "POST", path: "/api/chat/conversations", body: { type: "direct", userId: member.userId } },
      { method: "GET", path: "/api/chat/search?q=hello" },
      { method: "POST", path: "/api/chat/sync", body: { conversations: [{ conversationId: group.id, seq: 0 }] } },
      ...conversationRoutes(group.id, message.id),
    ];
    const forged = `${owner.accessToken.slice(0, -4)}AAAA`;
    for (const route of routes) {
      for (const token of [undefined, "not-a-jwt", forged]) {
        const res = await call<{ error: { code: string } }>(base, token, route.method, route.path, route.body);
        assert.equal(res.status, 401, `${route.method} ${route.path} with ${token ? "a bad" : "no"} token`);
        assert.match(res.body.error.code, /^(UNAUTHENTICATED|TOKEN_EXPIRED|SESSION_REVOKED)$/);
      }
    }
  });

  it("answers 404 CONVERSATION_NOT_FOUND to a non-participant on every conversation route, and changes nothing", async () => {
    for (const id of [group.id, randomUUID()]) {
      for (const route of conversationRoutes(id, message.id)) {
        const res = await call<{ error: { code: string } }>(base, outsider.accessToken, route.method, route.path, route.body);
        assert.equal(res.status, 404, `${route.method} ${route.path}`);
        assert.equal(res.body.error.code, "CONVERSATION_NOT_FOUND", `${route.method} ${route.path}`);
      }
    }
    const view = await services.chat.conversations.get(owner, group.id);
    assert.equal(view.title, "Routes");
    assert.equal(view.memberCount, 2);
  });

  it("answers 400 VALIDATION_FAILED to malformed input on every route", async () => {
    const id = group.id;
    const bad: Route[] = [
      { method: "POST", path: "/api/chat/conversations", body: { type: "direct", userId: "not-an-id" } },
      { method: "POST", path: "/api/chat/conversations", body: { type: "group", title: "", memberIds: [] } },
      { method: "POST", path: "/api/chat/conversations", body: { type: "group", title: "x", memberIds: { $ne: null } } },
      { method: "GET", path: "/api/chat/conversations?limit=1000" },
      { method: "GET", path: "/api/chat/conversations?cursor=%24where" },
      { method: "GET", path: "/api/chat/conversations/not-a-uuid" },
      { method: "PATCH", path: `/api/chat/conversations/${id}`, body: {} },
      { method: "PATCH", path: `/api/chat/conversations/${id}/settings`, body: { mutedUntil: "tomorrow" } },
      { method: "GET", path: `/api/chat/conversations/${id}/members?limit=-1` },
      { method: "POST", path: `/api/chat/conversations/${id}/members`, body: { userIds: [] } },
      { method: "PATCH", path: `/api/chat/conversations/${id}/members/${member.userId}`, body: { role: "owner" } },
      { method: "DELETE", path: `/api/chat/conversations/${id}/members/nobody` },
      { method: "GET", path: `/api/chat/conversations/${id}/messages?before=1&after=2` },
      { method: "GET", path: `/api/chat/conversations/${id}/messages?limit=51` },
      { method: "POST", path: `/api/chat/conversations/${id}/messages`, body: { clientMessageId: "short", content: { type: "text", text: "x" } } },
      { method: "POST", path: `/api/chat/conversations/${id}/messages`, body: { clientMessageId: clientId(), content: { type: "text", text: "x" }, "a.b": 1 } },
      { method: "POST", path: `/api/chat/conversations/${id}/messages`, body: [1, 2, 3] },
      { method: "POST", path: `/api/chat/conversations/${id}/messages`, body: "{not json" },
      { method: "PATCH", path: `/api/chat/conversations/${id}/messages/${message.id}`, body: { text: 42 } },
      { method: "DELETE", path: `/api/chat/conversations/${id}/messages/${message.id}?scope=nobody` },
      { method: "PUT", path: `/api/chat/conversations/${id}/messages/${message.id}/reaction`, body: { emoji: "💩" } },
      { method: "PUT", path: `/api/chat/conversations/${id}/read`, body: { seq: 1.5 } },
      { method: "PUT", path: `/api/chat/conversations/${id}/delivered`, body: { seq: { $gt: 0 } } },
      { method: "GET", path: `/api/chat/conversations/${id}/gallery?kind=photos` },
      { method: "GET", path: "/api/chat/search?q=a" },
      { method: "GET", path: "/api/chat/search?q[$regex]=.*" },
      { method: "POST", path: "/api/chat/sync", body: { conversations: [{ conversationId: id, seq: 0 }, { conversationId: id, seq: 1 }] } },
    ];
    for (const route of bad) {
      const res = await call<{ error: { code: string } }>(base, member.accessToken, route.method, route.path, route.body);
      assert.equal(res.status, 400, `${route.method} ${route.path} ${JSON.stringify(route.body)}`);
      assert.equal(res.body.error.code, "VALIDATION_FAILED", `${route.method} ${route.path}`);
    }
    const history = await services.chat.queries.history(owner, { conversationId: id, limit: 50 });
    assert.ok(history.messages.every((m) => m.id === message.id || m.content?.type === "system"));
  });

  it("refuses a body over the size limit with 413", async () => {
    const res = await call<{ error: { code: string } }>(base, member.accessToken, "POST", `/api/chat/conversations/${group.id}/messages`, {
      clientMessageId: clientId(),
      content: { type: "text", text: "x".repeat(300 * 1024) },
    });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, "PAYLOAD_TOO_LARGE");
  });

  it("serves the whole flow to members: list, read, react, edit, gallery, search, sync, members", async () => {
    const list = await call<{ items: ConversationView[]; nextCursor: string | null }>(base, owner.accessToken, "GET", "/api/chat/conversations?limit=25");
    assert.equal(list.status, 200);
    const mine = list.body.items.find((c) => c.id === group.id);
    assert.equal(mine?.unreadCount, 1);
    const read = await call<{ unreadCount: number }>(base, owner.accessToken, "PUT", `/api/chat/conversations/${group.id}/read`, { seq: message.seq });
    assert.equal(read.status, 200);
    assert.equal(read.body.unreadCount, 0);
    const readers = await call<{ items: Array<{ userId: string }> }>(base, member.accessToken, "GET", `/api/chat/conversations/${group.id}/messages/${message.id}/readers`);
    assert.deepEqual(readers.body.items.map((r) => r.userId), [owner.userId]);
    const badReaders = await call(base, member.accessToken, "GET", `/api/chat/conversations/${group.id}/messages/${message.id}/readers?limit=0`);
    assert.equal(badReaders.status, 400);
    const react = await call<{ change: { kind: string } }>(base, owner.accessToken, "PUT", `/api/chat/conversations/${group.id}/messages/${message.id}/reaction`, { emoji: "❤️" });
    assert.equal(react.body.change.kind, "reaction");
    const edit = await call(base, member.accessToken, "PATCH", `/api/chat/conversations/${group.id}/messages/${message.id}`, { text: "hello routes, edited" });
    assert.equal(edit.status, 200);
    const forbidden = await call<{ error: { code: string } }>(base, owner.accessToken, "PATCH", `/api/chat/conversations/${group.id}/messages/${message.id}`, { text: "not mine" });
    assert.equal(forbidden.status, 403);
    const search = await call<{ items: Array<{ id: string }> }>(base, owner.accessToken, "GET", `/api/chat/search?q=edited&conversationId=${group.id}`);
    assert.deepEqual(search.body.items.map((m) => m.id), [message.id]);
    const sync = await call<{ conversations: Array<{ status: string; changes: Array<{ kind: string }> }> }>(base, owner.accessToken, "POST", "/api/chat/sync", {
      conversations: [{ conversationId: group.id, seq: 0 }],
    });
    assert.deepEqual(sync.body.conversations[0]?.changes.map((c) => c.kind), ["message", "message", "reaction", "edited"]);
    const retry = await call<SendResult>(base, member.accessToken, "POST", `/api/chat/conversations/${group.id}/messages`, {
      clientMessageId: message.clientMessageId,
      content: { type: "text", text: "hello routes" },
    });
    assert.equal(retry.status, 200);
    assert.equal(retry.body.id, message.id);
    const promote = await call<{ member: { role: string } }>(base, owner.accessToken, "PATCH", `/api/chat/conversations/${group.id}/members/${member.userId}`, { role: "admin" });
    assert.equal(promote.body.member.role, "admin");
    const add = await call<{ added: string[] }>(base, member.accessToken, "POST", `/api/chat/conversations/${group.id}/members`, { userIds: [outsider.userId] });
    assert.deepEqual(add.body.added, [outsider.userId]);
    const leave = await call(base, outsider.accessToken, "POST", `/api/chat/conversations/${group.id}/leave`);
    assert.equal(leave.status, 204);
    const gone = await call(base, outsider.accessToken, "GET", `/api/chat/conversations/${group.id}`);
    assert.equal(gone.status, 404);
  });
});
