import assert from "node:assert/strict";
import { startApi, type ApiServer } from "../../api/server.js";
import { startGateway, type Gateway } from "../../gateway/server.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { httpCall } from "../helpers/http.js";
import { createQuietPlatform as createTestPlatform } from "./quiet-platform.js";
import { connectSocket } from "../helpers/sockets.js";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { clientId } from "../chat/chat-fixtures.js";

describe("hardening: control characters in text", function () {
  let platform: Platform;
  let services: Services;
  let api: ApiServer;
  let gateway: Gateway;
  let base: string;
  let user: TestUser;
  let admin: TestUser;
  let groupId: string;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    api = await startApi(platform, services, 0);
    gateway = await startGateway(platform, services, 0);
    base = `http://127.0.0.1:${api.port}`;
    user = await createTestUser(services);
    admin = await createTestUser(services, { roles: ["admin"] });
    const created = await httpCall(base, "POST", "/api/chat/conversations", { token: user.accessToken, body: { type: "group", title: "Text rules" } });
    assert.equal(created.status, 201);
    groupId = created.body.conversation.id;
  });
  after(async () => {
    await gateway.close();
    await api.close();
    await platform.close();
  });

  const call = (method: string, path: string, token: string | undefined, body?: unknown) => httpCall(base, method, path, { token, body });

  it("refuses NUL with 400 wherever PostgreSQL would have answered 500, and changes nothing", async () => {
    const register = await call("POST", "/api/auth/register", undefined, { email: `nul-${Date.now()}@example.test`, password: "Correct-Horse-Battery-9", fullName: "a\u0000b" });
    assert.equal(register.status, 400);
    assert.equal(register.body.error.code, "VALIDATION_FAILED");
    const bio = await call("POST", "/api/auth/register", undefined, { email: `nul2-${Date.now()}@example.test`, password: "Correct-Horse-Battery-9", fullName: "Ada", bio: "x" });
    assert.equal(bio.status, 400);
    for (const body of [{ fullName: "a\u0000b" }, { bio: "line\u0000" }, { bio: "bell\u0007" }, { fullName: "two\nlines" }]) {
      const res = await call("PATCH", "/api/me", user.accessToken, body);
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    const me = await call("GET", "/api/me", user.accessToken);
    assert.equal(me.body.user.fullName, user.fullName);
    const multiline = await call("PATCH", "/api/me", user.accessToken, { bio: "first line\n\tsecond line" });
    assert.equal(multiline.status, 200);
    assert.equal(multiline.body.user.bio, "first line\n\tsecond line");

    const search = await call("GET", "/api/admin/users?query=a%00b", admin.accessToken);
    assert.equal(search.status, 400);
    const disable = await call("POST", `/api/admin/users/${user.userId}/disable`, admin.accessToken, { reason: "spam\u0000" });
    assert.equal(disable.status, 400);
    assert.equal((await call("GET", "/api/me", user.accessToken)).status, 200);
  });

  it("refuses control characters in MongoDB-bound text: profiles, group titles, messages, search", async () => {
    const cases: [string, string, unknown][] = [
      ["PATCH", "/api/profiles/me", { displayName: "x\u0000" }],
      ["PATCH", "/api/profiles/me", { bio: "x\u001b[31m" }],
      ["GET", "/api/profiles/search?q=a%00b", undefined],
      ["PATCH", `/api/chat/conversations/${groupId}`, { title: "new\nline" }],
      ["POST", `/api/chat/conversations/${groupId}/messages`, { clientMessageId: clientId(), content: { type: "text", text: "a\u0000b" } }],
      ["GET", "/api/chat/search?q=ab%00cd", undefined],
      ["POST", "/api/chat/conversations", { type: "group", title: "t", "k\u0000ey": 1 }],
    ];
    const before = await call("GET", `/api/chat/conversations/${groupId}/messages`, user.accessToken);
    for (const [method, path, body] of cases) {
      const res = await call(method, path, user.accessToken, body);
      assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${res.status}`);
      assert.equal(res.body.error.code, "VALIDATION_FAILED");
    }
    const history = await call("GET", `/api/chat/conversations/${groupId}/messages`, user.accessToken);
    assert.equal(history.body.messages.length, before.body.messages.length);
    const ok = await call("POST", `/api/chat/conversations/${groupId}/messages`, user.accessToken, { clientMessageId: clientId(), content: { type: "text", text: "line one\nline two\ttabbed" } });
    assert.equal(ok.status, 201);
  });

  it("refuses them in socket payloads with a VALIDATION_FAILED ack", async () => {
    const socket = await connectSocket(`http://127.0.0.1:${gateway.port}`, user.accessToken);
    try {
      const ack = await socket.timeout(5000).emitWithAck("chat:send", { conversationId: groupId, clientMessageId: clientId(), content: { type: "text", text: "\u0000" } });
      assert.equal(ack.ok, false);
      if (!ack.ok) assert.equal(ack.error.code, "VALIDATION_FAILED");
    } finally {
      socket.close();
    }
  });
});
