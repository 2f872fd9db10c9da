import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { Socket } from "socket.io-client";
import type { SessionRevokedEvent } from "../../shared/realtime/events.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { spawnRole, type RoleProcess } from "../helpers/processes.js";
import { nextEvent, type ClientSocket } from "../helpers/sockets.js";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { disconnected, refusal, SocketPool } from "./realtime-helpers.js";

type AnyAck = { ok: boolean; error?: { code: string } };
const emitRaw = (socket: ClientSocket, event: string, payload: unknown): Promise<AnyAck> =>
  (socket as unknown as Socket).timeout(5_000).emitWithAck(event, payload) as Promise<AnyAck>;

const tooMany = Array.from({ length: 201 }, () => randomUUID());

/** Payloads every one of the presence events must refuse with VALIDATION_FAILED. */
const BAD_WATCH_PAYLOADS: Array<[string, unknown]> = [
  ["no payload", undefined],
  ["null", null],
  ["a string", "everyone"],
  ["a number", 42],
  ["an array", [randomUUID()]],
  ["an empty object", {}],
  ["userIds not an array", { userIds: randomUUID() }],
  ["no ids", { userIds: [] }],
  ["more than 200 ids", { userIds: tooMany }],
  ["ids that are not ids", { userIds: ["alice"] }],
  ["an operator instead of an id", { userIds: [{ $gt: "" }] }],
  ["an operator key", { $where: "1", userIds: [randomUUID()] }],
  ["an unknown key", { userIds: [randomUUID()], all: true }],
  ["a dotted key", { userIds: [randomUUID()], "userIds.0": "x" }],
];

describe("socket hygiene: bad payloads, unknown events, revoked sessions", function () {
  this.timeout(60_000);
  let platform: Platform;
  let services: Services;
  let gateways: RoleProcess[] = [];
  let api: RoleProcess;
  let alice: TestUser, bob: TestUser;
  let conversationId: string;
  const pool = new SocketPool();

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    let users: TestUser[];
    [gateways, api, users] = await Promise.all([
      Promise.all([spawnRole("gateway"), spawnRole("gateway")]),
      spawnRole("api"),
      Promise.all([createTestUser(services), createTestUser(services)]),
    ]);
    [alice, bob] = users as [TestUser, TestUser];
    conversationId = (await services.chat.conversations.openDirect(alice, bob.userId)).id;
  });
  afterEach(() => pool.closeAll());
  after(async () => {
    await Promise.all([...gateways, api].map((role) => role.stop()));
    await platform.close();
  });

  for (const event of ["presence:watch", "presence:unwatch"]) {
    it(`${event} refuses every malformed payload with VALIDATION_FAILED and joins nothing`, async () => {
      const socket = await pool.connect(gateways[0]!.url, alice.accessToken);
      for (const [what, payload] of BAD_WATCH_PAYLOADS) {
        const ack = await emitRaw(socket, event, payload);
        assert.equal(ack.ok, false, what);
        assert.equal(ack.error?.code, "VALIDATION_FAILED", what);
      }
      assert.deepEqual(await socket.emitWithAck("presence:unwatch", { userIds: [bob.userId] }), { ok: true, data: { watching: 0 } });
    });
  }

  it("chat:typing refuses malformed payloads with VALIDATION_FAILED and writes no typing key", async () => {
    const socket = await pool.connect(gateways[1]!.url, alice.accessToken);
    const bad: Array<[string, unknown]> = [
      ["no payload", undefined],
      ["a string", "typing"],
      ["no conversation", { isTyping: true }],
      ["no flag", { conversationId }],
      ["a flag that is not a boolean", { conversationId, isTyping: "yes" }],
      ["an operator as the conversation", { conversationId: { $ne: null }, isTyping: true }],
      ["a path as the conversation", { conversationId: "../../etc", isTyping: true }],
      ["an oversize id", { conversationId: "a".repeat(5_000), isTyping: true }],
      ["an unknown key", { conversationId, isTyping: true, userId: bob.userId }],
      ["an operator key", { conversationId, isTyping: true, $set: { x: 1 } }],
    ];
    for (const [what, payload] of bad) {
      const ack = await emitRaw(socket, "chat:typing", payload);
      assert.equal(ack.error?.code, "VALIDATION_FAILED", what);
    }
    assert.equal(await platform.redis.exists(`typing:${conversationId}:${alice.userId}`), 0);
  });

  it("answers an unknown event with UNKNOWN_EVENT, survives events without an ack, and keeps serving", async () => {
    const socket = await pool.connect(gateways[0]!.url, alice.accessToken);
    const unknown = await emitRaw(socket, "admin:drop-everything", { all: true });
    assert.deepEqual(unknown.error?.code, "UNKNOWN_EVENT");
    // No acknowledgement function: nothing to answer, and nothing breaks.
    (socket as unknown as Socket).emit("presence:watch", { userIds: "nope" });
    (socket as unknown as Socket).emit("chat:typing", { conversationId, isTyping: true });
    (socket as unknown as Socket).emit("not:an-event");
    const ping = await socket.emitWithAck("system:ping", {});
    assert.equal(ping.ok, true);
    assert.ok(socket.connected);
  });

  it("drops a socket whose message exceeds the payload cap, before any handler runs", async () => {
    const socket = await pool.connect(gateways[0]!.url, bob.accessToken);
    const gone = disconnected(socket);
    (socket as unknown as Socket).emit("chat:typing", { conversationId, isTyping: true, pad: "x".repeat(70 * 1024) }, () => undefined);
    assert.equal(await gone, "transport close");
    assert.equal(await platform.redis.exists(`typing:${conversationId}:${bob.userId}`), 0);
  });

  it("revoking a session through the API disconnects its sockets on both replicas, and only those", async () => {
    const victim = await createTestUser(services);
    const signedIn = await services.auth.login({ email: victim.email, password: victim.password }, { ip: "127.0.0.1", userAgent: "test" });
    assert.ok("accessToken" in signedIn && signedIn.accessToken);
    const [onFirst, onSecond, otherSession] = await Promise.all([
      pool.connect(gateways[0]!.url, victim.accessToken),
      pool.connect(gateways[1]!.url, victim.accessToken),
      pool.connect(gateways[1]!.url, signedIn.accessToken),
    ]);
    const notices = Promise.all([nextEvent<SessionRevokedEvent>(onFirst, "session:revoked"), nextEvent<SessionRevokedEvent>(onSecond, "session:revoked")]);
    const reasons = Promise.all([disconnected(onFirst), disconnected(onSecond)]);

    const res = await fetch(`${api.url}/api/auth/sessions/${victim.sessionId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${signedIn.accessToken}` },
    });
    assert.ok(res.status >= 200 && res.status < 300, `revoke answered ${res.status}`);
    for (const notice of await notices) assert.equal(notice.sessionId, victim.sessionId);
    assert.deepEqual(await reasons, ["io server disconnect", "io server disconnect"]);
    // The session's token no longer opens a socket; the other session's socket is untouched.
    assert.equal(await refusal(pool.connect(gateways[0]!.url, victim.accessToken)), "SESSION_REVOKED");
    const ping = await otherSession.emitWithAck("system:ping", {});
    assert.equal(ping.ok, true);
  });
});
