import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { startApi, type ApiServer } from "../../api/server.js";
import { startGateway, type Gateway } from "../../gateway/server.js";
import { RATE_RULES } from "../../shared/rate-limit/rate-rules.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { httpCall } from "../helpers/http.js";
import { createQuietPlatform as createTestPlatform } from "./quiet-platform.js";
import { connectSocket, type ClientSocket } from "../helpers/sockets.js";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { clientId } from "../chat/chat-fixtures.js";

/** Runs per route group / for the socket events: bounded so the file stays well under a minute. */
const RUNS = 200;

/** Keys the schemas know, plus some they must refuse. */
const KEYS = [
  "conversationId", "messageId", "userId", "userIds", "memberIds", "clientMessageId", "content", "text", "emoji", "seq", "scope",
  "title", "description", "avatarUrl", "type", "limit", "cursor", "before", "after", "q", "mode", "kind", "archived", "pinned",
  "mutedUntil", "role", "replyToId", "forwardFromId", "mentions", "conversations", "receiptsSince", "isTyping", "token",
  "email", "password", "fullName", "bio", "timezone", "phone", "countryCode", "refreshToken", "code", "recoveryCode",
  "currentPassword", "newPassword", "reason", "query", "status", "displayName", "username", "privacy", "socialLinks", "verified",
  "junk", "$where", "a.b", "__proto__",
];

describe("hardening: property-based requests and socket events", function () {
  this.timeout(120_000);
  let platform: Platform;
  let services: Services;
  let api: ApiServer;
  let gateway: Gateway;
  let base: string;
  let actor: TestUser;
  let victim: TestUser;
  let ownGroup: string;
  let victimGroup: string;
  let ownMessage: string;
  let victimMessage: string;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    api = await startApi(platform, services, 0);
    gateway = await startGateway(platform, services, 0);
    base = `http://127.0.0.1:${api.port}`;
    [actor, victim] = [await createTestUser(services), await createTestUser(services)];
    const bystander = await createTestUser(services);
    ownGroup = (await services.chat.groups.create(actor, { title: "Mine", memberIds: [bystander.userId] })).id;
    victimGroup = (await services.chat.groups.create(victim, { title: "Theirs", memberIds: [bystander.userId] })).id;
    ownMessage = (await services.chat.messages.send(actor, { conversationId: ownGroup, clientMessageId: clientId(), content: { type: "text", text: "mine" } })).id;
    victimMessage = (await services.chat.messages.send(victim, { conversationId: victimGroup, clientMessageId: clientId(), content: { type: "text", text: "theirs" } })).id;
  });
  after(async () => {
    await gateway.close();
    await api.close();
    await platform.close();
  });

  /** Everything of the victim's the actor must never change. */
  async function victimState(): Promise<string> {
    const [me, profile, list, history, sessions] = await Promise.all([
      httpCall(base, "GET", "/api/me", { token: victim.accessToken }),
      httpCall(base, "GET", "/api/profiles/me", { token: victim.accessToken }),
      httpCall(base, "GET", "/api/chat/conversations", { token: victim.accessToken }),
      httpCall(base, "GET", `/api/chat/conversations/${victimGroup}/messages`, { token: victim.accessToken }),
      httpCall(base, "GET", "/api/auth/sessions", { token: victim.accessToken }),
    ]);
    const strip = (value: unknown) => JSON.stringify(value, (key, v: unknown) => (key === "lastUsedAt" || key === "updatedAt" ? undefined : v));
    return [me, profile, list, history, sessions].map((res) => `${res.status}:${strip(res.body)}`).join("\n");
  }

  async function resetBudgets(): Promise<void> {
    await platform.redis.del(...Object.keys(RATE_RULES).map((rule) => `rl:${rule}:u:${actor.userId}`));
  }

  const ids = () => fc.constantFrom(ownGroup, victimGroup, ownMessage, victimMessage, actor.userId, victim.userId, randomUUID(), "not-an-id", "");
  const value = () =>
    fc.oneof(
      { weight: 3, arbitrary: ids() },
      { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      { weight: 1, arbitrary: fc.record({ type: fc.constantFrom("text", "image", "system", "call", "bogus"), text: fc.string({ maxLength: 20 }) }) },
      { weight: 1, arbitrary: fc.integer({ min: -5, max: 1e9 }) },
      { weight: 1, arbitrary: fc.array(ids(), { maxLength: 3 }) },
    );
  const objectOf = () => fc.dictionary(fc.constantFrom(...KEYS), value(), { maxKeys: 6 });
  const payload = () => fc.oneof({ weight: 4, arbitrary: objectOf() }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });
  const query = () => objectOf().map((q) => new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, typeof v === "string" ? v : JSON.stringify(v)])).toString());

  type Route = [method: string, path: (id: string) => string];
  const groups: Record<string, Route[]> = {
    "auth and me": [
      ["POST", () => "/api/auth/register"], ["POST", () => "/api/auth/login"], ["POST", () => "/api/auth/login/2fa"], ["POST", () => "/api/auth/refresh"],
      ["GET", () => "/api/auth/sessions"], ["DELETE", (id) => `/api/auth/sessions/${id}`], ["POST", () => "/api/auth/verify-email"],
      ["POST", () => "/api/auth/password/forgot"], ["POST", () => "/api/auth/password/reset"], ["POST", () => "/api/auth/password/change"],
      ["POST", () => "/api/auth/2fa/setup"], ["POST", () => "/api/auth/2fa/enable"], ["POST", () => "/api/auth/2fa/disable"],
      ["GET", () => "/api/me"], ["PATCH", () => "/api/me"], ["GET", () => "/api/admin/users"], ["POST", (id) => `/api/admin/users/${id}/disable`],
      ["POST", (id) => `/api/admin/users/${id}/enable`], ["POST", (id) => `/api/admin/users/${id}/roles`], ["DELETE", (id) => `/api/admin/users/${id}/roles/admin`],
    ],
    profiles: [
      ["GET", () => "/api/profiles/me"], ["PATCH", () => "/api/profiles/me"], ["GET", () => "/api/profiles/search"], ["GET", (id) => `/api/profiles/${id}`],
      ["GET", (id) => `/api/profiles/by-username/${id}`], ["GET", (id) => `/api/profiles/${id}/followers`], ["GET", (id) => `/api/profiles/${id}/following`],
      ["GET", () => "/api/profiles/me/follow-requests"], ["POST", (id) => `/api/profiles/me/follow-requests/${id}/accept`], ["GET", () => "/api/profiles/me/blocked"],
      ["PUT", (id) => `/api/profiles/${id}/verification`],
    ],
    chat: [
      ["GET", () => "/api/chat/conversations"], ["POST", () => "/api/chat/conversations"], ["GET", (id) => `/api/chat/conversations/${id}`],
      ["PATCH", (id) => `/api/chat/conversations/${id}`], ["PATCH", (id) => `/api/chat/conversations/${id}/settings`], ["GET", (id) => `/api/chat/conversations/${id}/members`],
      ["POST", (id) => `/api/chat/conversations/${id}/members`], ["PATCH", (id) => `/api/chat/conversations/${id}/members/${victim.userId}`],
      ["DELETE", (id) => `/api/chat/conversations/${id}/members/${victim.userId}`], ["GET", (id) => `/api/chat/conversations/${id}/messages`],
      ["POST", (id) => `/api/chat/conversations/${id}/messages`], ["PATCH", (id) => `/api/chat/conversations/${id}/messages/${victimMessage}`],
      ["DELETE", (id) => `/api/chat/conversations/${id}/messages/${victimMessage}`], ["PUT", (id) => `/api/chat/conversations/${id}/messages/${victimMessage}/reaction`],
      ["GET", (id) => `/api/chat/conversations/${id}/messages/${victimMessage}/readers`], ["PUT", (id) => `/api/chat/conversations/${id}/read`],
      ["PUT", (id) => `/api/chat/conversations/${id}/delivered`], ["GET", (id) => `/api/chat/conversations/${id}/gallery`], ["GET", () => "/api/chat/search"],
      ["POST", () => "/api/chat/sync"],
    ],
  };

  for (const [name, routes] of Object.entries(groups)) {
    it(`${name}: arbitrary JSON and queries never answer 5xx nor change another user's data`, async () => {
      const before = await victimState();
      let n = 0;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...routes), ids(), payload(), query(), fc.boolean(), async ([method, path], id, body, qs, signedIn) => {
          if (++n % 50 === 0) await resetBudgets();
          const url = `${path(encodeURIComponent(id))}${method === "GET" || method === "DELETE" ? `?${qs}` : ""}`;
          const res = await httpCall(base, method, url, {
            token: signedIn ? actor.accessToken : undefined,
            body: method === "GET" ? undefined : body,
            headers: { "x-forwarded-for": `10.9.${n % 250}.${(n >> 8) % 250 + 1}` },
          });
          assert.ok(res.status < 500, `${method} ${url} ${JSON.stringify(body)} -> ${res.status} ${JSON.stringify(res.body)}`);
        }),
        { numRuns: RUNS },
      );
      assert.equal(await victimState(), before);
    });
  }

  it("socket events: arbitrary payloads always get an ack, never INTERNAL, and change nothing of another user's", async () => {
    const before = await victimState();
    const events = ["system:ping", "auth:refresh", "presence:watch", "presence:unwatch", "chat:typing", "chat:send", "chat:edit", "chat:delete",
      "chat:react", "chat:delivered", "chat:read", "chat:sync", "chat:conversations", "chat:history", "no:such-event", "error"];
    const socket: ClientSocket = await connectSocket(`http://127.0.0.1:${gateway.port}`, actor.accessToken);
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...events), payload(), async (event, body) => {
          const ack = (await (socket as unknown as { timeout(ms: number): { emitWithAck(e: string, p: unknown): Promise<unknown> } }).timeout(5000).emitWithAck(event, body)) as { ok: boolean; error?: { code: string } };
          assert.equal(typeof ack.ok, "boolean", `${event} ${JSON.stringify(body)}`);
          assert.notEqual(ack.error?.code, "INTERNAL", `${event} ${JSON.stringify(body)}`);
        }),
        { numRuns: RUNS },
      );
    } finally {
      socket.close();
    }
    assert.equal(await victimState(), before);
  });
});
