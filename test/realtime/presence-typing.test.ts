import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { PresenceUpdate, TypingEvent } from "../../shared/presence/presence.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { waitFor } from "../helpers/ports.js";
import { spawnRole, type RoleProcess } from "../helpers/processes.js";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { collect, disconnected, received, refusal, SocketPool } from "./realtime-helpers.js";

/** Short presence TTL so a killed replica's devices expire within the test. */
const GATEWAY_ENV = { PRESENCE_TTL_SECONDS: "3", SOCKET_MAX_CONNECTIONS_PER_USER: "3" };

describe("presence and typing across two gateway replicas", function () {
  this.timeout(60_000);
  let platform: Platform;
  let services: Services;
  let gateways: RoleProcess[] = [];
  let alice: TestUser, bob: TestUser, carol: TestUser, dave: TestUser, erin: TestUser;
  const pool = new SocketPool();
  const actor = (user: TestUser) => ({ userId: user.userId, sessionId: user.sessionId, roles: ["user"] });

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    let users: TestUser[];
    [gateways, users] = await Promise.all([
      Promise.all([spawnRole("gateway", GATEWAY_ENV), spawnRole("gateway", GATEWAY_ENV)]),
      Promise.all([0, 1, 2, 3, 4].map(() => createTestUser(services))),
    ]);
    [alice, bob, carol, dave, erin] = users as [TestUser, TestUser, TestUser, TestUser, TestUser];
    // Carol shows her last seen to nobody; Dave has blocked Bob.
    await services.profiles.updateOwn(actor(carol), { privacy: { lastSeenVisibility: "nobody" } });
    await services.blocks.block(actor(dave), bob.userId);
  });
  afterEach(() => pool.closeAll());
  after(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await platform.close();
  });

  it("tells a watcher on one replica when a user's first device comes online on the other and when the last one leaves", async () => {
    const watcher = await pool.connect(gateways[0]!.url, bob.accessToken);
    const watch = await watcher.emitWithAck("presence:watch", { userIds: [alice.userId] });
    assert.ok(watch.ok);
    assert.deepEqual(watch.data.hidden, []);
    assert.equal(watch.data.presences[0]?.online, false);
    assert.ok(watch.data.presences[0]?.lastSeen, "an offline user shows a last-seen time");
    const updates = collect<PresenceUpdate>(watcher, "presence:update");

    const phone = await pool.connect(gateways[1]!.url, alice.accessToken);
    await received(updates, 1, "alice online");
    assert.deepEqual(updates[0], { userId: alice.userId, online: true, lastSeen: null });

    // A second device and the first one leaving change nothing for watchers.
    const laptop = await pool.connect(gateways[0]!.url, alice.accessToken);
    const now = await watcher.emitWithAck("presence:watch", { userIds: [alice.userId] });
    assert.ok(now.ok && now.data.presences[0]?.online === true && now.data.presences[0].lastSeen === null);
    phone.close();
    laptop.close();
    await received(updates, 2, "alice offline");
    assert.equal(updates.length, 2, "exactly one offline transition for two devices");
    assert.equal(updates[1]?.online, false);
    const lastSeen = updates[1]!.lastSeen!;
    assert.ok(Math.abs(Date.parse(lastSeen) - Date.now()) < 10_000);

    // The transition is persisted, written behind within a flush period (250 ms): then a new watch
    // on either replica reads the same last-seen time from PostgreSQL.
    const row = async () => (await platform.pg.query<{ is_online: boolean; last_seen: Date }>("SELECT is_online, last_seen FROM users WHERE id = $1", [alice.userId])).rows[0];
    await waitFor(async () => (await row())?.last_seen.toISOString() === lastSeen, 2_000, "the offline transition written to PostgreSQL");
    assert.equal((await row())?.is_online, false);
    const after = await watcher.emitWithAck("presence:watch", { userIds: [alice.userId] });
    assert.ok(after.ok);
    assert.deepEqual(after.data.presences, [{ userId: alice.userId, online: false, lastSeen }]);
  });

  it("respects last-seen privacy and blocks: hidden users are reported as such and never pushed", async () => {
    const watcher = await pool.connect(gateways[0]!.url, bob.accessToken);
    const stranger = randomUUID();
    const watch = await watcher.emitWithAck("presence:watch", { userIds: [carol.userId, dave.userId, stranger, alice.userId] });
    assert.ok(watch.ok);
    assert.deepEqual(watch.data.presences.map((p) => p.userId), [alice.userId]);
    assert.deepEqual([...watch.data.hidden].sort(), [carol.userId, dave.userId, stranger].sort());
    const updates = collect<PresenceUpdate>(watcher, "presence:update");
    // Carol and Dave come online first; Alice's update, sent after theirs, is the only one to arrive.
    await pool.connect(gateways[1]!.url, carol.accessToken);
    await pool.connect(gateways[1]!.url, dave.accessToken);
    await pool.connect(gateways[1]!.url, alice.accessToken);
    await received(updates, 1, "alice online");
    assert.deepEqual(updates.map((u) => u.userId), [alice.userId]);
    // Carol herself sees her own presence.
    const own = await (await pool.connect(gateways[0]!.url, carol.accessToken)).emitWithAck("presence:watch", { userIds: [carol.userId] });
    assert.ok(own.ok && own.data.presences[0]?.online === true);
  });

  it("stops pushes after presence:unwatch", async () => {
    const watcher = await pool.connect(gateways[0]!.url, bob.accessToken);
    await watcher.emitWithAck("presence:watch", { userIds: [alice.userId, erin.userId] });
    assert.deepEqual(await watcher.emitWithAck("presence:unwatch", { userIds: [alice.userId] }), { ok: true, data: { watching: 1 } });
    const updates = collect<PresenceUpdate>(watcher, "presence:update");
    // Alice's transition is published before Erin's; Erin's arriving alone shows Alice's was not delivered.
    await pool.connect(gateways[1]!.url, alice.accessToken);
    await pool.connect(gateways[1]!.url, erin.accessToken);
    await received(updates, 1, "erin online");
    assert.deepEqual(updates.map((u) => u.userId), [erin.userId]);
  });

  it("forgetWatchers drops every watcher of a user on every replica (privacy narrowed, or a block)", async () => {
    const [onFirst, onSecond] = [await pool.connect(gateways[0]!.url, bob.accessToken), await pool.connect(gateways[1]!.url, carol.accessToken)];
    for (const socket of [onFirst, onSecond]) await socket.emitWithAck("presence:watch", { userIds: [erin.userId, alice.userId] });
    const updates = [collect<PresenceUpdate>(onFirst, "presence:update"), collect<PresenceUpdate>(onSecond, "presence:update")];
    services.presence.forgetWatchers(alice.userId);
    // The leave is a broadcast through Redis; wait until both replicas applied it.
    await waitFor(async () => {
      const counts = await Promise.all([onFirst, onSecond].map((s) => s.emitWithAck("presence:unwatch", { userIds: [randomUUID()] })));
      return counts.every((c) => c.ok && c.data.watching === 1);
    }, 10_000, "watchers dropped");
    await pool.connect(gateways[1]!.url, alice.accessToken);
    await pool.connect(gateways[0]!.url, erin.accessToken);
    await received(updates[0]!, 1, "erin online (first replica)");
    await received(updates[1]!, 1, "erin online (second replica)");
    for (const list of updates) assert.deepEqual(list.map((u) => u.userId), [erin.userId]);
  });

  it("a block or a narrower last-seen setting resets the user's watchers, who are checked again on re-watch", async () => {
    const [frank, grace] = await Promise.all([createTestUser(services), createTestUser(services)]);
    const bobSocket = await pool.connect(gateways[0]!.url, bob.accessToken);
    const graceSocket = await pool.connect(gateways[1]!.url, grace.accessToken);
    for (const socket of [bobSocket, graceSocket]) {
      const watch = await socket.emitWithAck("presence:watch", { userIds: [frank.userId] });
      assert.ok(watch.ok && watch.data.hidden.length === 0);
    }
    const resets = [collect<{ userId: string }>(bobSocket, "presence:reset"), collect<{ userId: string }>(graceSocket, "presence:reset")];

    await services.blocks.block(actor(frank), bob.userId);
    await received(resets[0]!, 1, "bob told to re-watch");
    await received(resets[1]!, 1, "grace told to re-watch");
    assert.deepEqual(resets[0], [{ userId: frank.userId }]);
    const bobAgain = await bobSocket.emitWithAck("presence:watch", { userIds: [frank.userId] });
    assert.ok(bobAgain.ok);
    assert.deepEqual(bobAgain.data.hidden, [frank.userId], "the blocked watcher is refused on re-watch");
    const graceAgain = await graceSocket.emitWithAck("presence:watch", { userIds: [frank.userId] });
    assert.ok(graceAgain.ok && graceAgain.data.hidden.length === 0, "others keep watching");

    await services.profiles.updateOwn(actor(frank), { privacy: { lastSeenVisibility: "nobody" } });
    await received(resets[1]!, 2, "grace told again after the privacy change");
    const graceHidden = await graceSocket.emitWithAck("presence:watch", { userIds: [frank.userId] });
    assert.ok(graceHidden.ok);
    assert.deepEqual(graceHidden.data.hidden, [frank.userId]);
  });

  it("caps connections per user across replicas with a typed TOO_MANY_CONNECTIONS refusal", async () => {
    const sockets = [
      await pool.connect(gateways[0]!.url, dave.accessToken),
      await pool.connect(gateways[1]!.url, dave.accessToken),
      await pool.connect(gateways[0]!.url, dave.accessToken),
    ];
    assert.equal(await refusal(pool.connect(gateways[1]!.url, dave.accessToken)), "TOO_MANY_CONNECTIONS");
    const gone = disconnected(sockets[0]!);
    sockets[0]!.close();
    await gone;
    await waitFor(async () => {
      try {
        await pool.connect(gateways[1]!.url, dave.accessToken);
        return true;
      } catch {
        return false;
      }
    }, 10_000, "a free slot after a disconnect");
  });

  it("a replica killed with SIGKILL: its users are announced offline once their devices expire", async () => {
    const doomed = await spawnRole("gateway", GATEWAY_ENV);
    try {
      const watcher = await pool.connect(gateways[0]!.url, bob.accessToken);
      const updates = collect<PresenceUpdate>(watcher, "presence:update");
      await watcher.emitWithAck("presence:watch", { userIds: [carol.userId, alice.userId] });
      const socket = await pool.connect(doomed.url, alice.accessToken);
      await received(updates, 1, "alice online");
      const killedAt = Date.now();
      const lost = disconnected(socket);
      doomed.kill("SIGKILL");
      await lost;
      await received(updates, 2, "alice offline after expiry", 20_000);
      assert.equal(updates[1]?.online, false);
      // Last seen is the last heartbeat before the kill, not the moment of the sweep.
      assert.ok(Date.parse(updates[1]!.lastSeen!) <= killedAt + 100);
      assert.ok(Date.parse(updates[1]!.lastSeen!) > killedAt - 3_000);
    } finally {
      await doomed.stop();
    }
  });

  describe("typing", () => {
    let direct: string;
    let group: string;

    before(async () => {
      direct = (await services.chat.conversations.openDirect(alice, bob.userId)).id;
      group = (await services.chat.groups.create(alice, { title: "Typing group", memberIds: [bob.userId, carol.userId] })).id;
    });

    it("reaches the other participants on the other replica, throttled, and stops", async () => {
      const typist = await pool.connect(gateways[0]!.url, alice.accessToken);
      const typistOther = await pool.connect(gateways[1]!.url, alice.accessToken);
      const reader = await pool.connect(gateways[1]!.url, bob.accessToken);
      const readerEvents = collect<TypingEvent>(reader, "chat:typing");
      const ownEvents = collect<TypingEvent>(typistOther, "chat:typing");

      assert.deepEqual(await typist.emitWithAck("chat:typing", { conversationId: direct, isTyping: true }), { ok: true, data: { delivered: true } });
      await received(readerEvents, 1, "typing");
      assert.deepEqual(readerEvents[0], { conversationId: direct, userId: alice.userId, isTyping: true, expiresInMs: 3_000 });
      const ttl = await platform.redis.pttl(`typing:${direct}:${alice.userId}`);
      assert.ok(ttl > 0 && ttl <= 3_000, `typing key ttl ${ttl}`);

      // Repeats within 2 s, from the same device or another one, are not broadcast.
      assert.deepEqual(await typist.emitWithAck("chat:typing", { conversationId: direct, isTyping: true }), { ok: true, data: { delivered: false } });
      assert.deepEqual(await typistOther.emitWithAck("chat:typing", { conversationId: direct, isTyping: true }), { ok: true, data: { delivered: false } });

      assert.deepEqual(await typist.emitWithAck("chat:typing", { conversationId: direct, isTyping: false }), { ok: true, data: { delivered: true } });
      await received(readerEvents, 2, "typing stopped");
      assert.deepEqual(readerEvents.map((e) => e.isTyping), [true, false]);
      assert.equal(await platform.redis.exists(`typing:${direct}:${alice.userId}`), 0);
      assert.deepEqual(await typist.emitWithAck("chat:typing", { conversationId: direct, isTyping: false }), { ok: true, data: { delivered: false } });
      assert.deepEqual(ownEvents, [], "the typist's own devices are not told");
    });

    it("goes to every other member of a group", async () => {
      const typist = await pool.connect(gateways[1]!.url, carol.accessToken);
      const [b, a] = [await pool.connect(gateways[0]!.url, bob.accessToken), await pool.connect(gateways[1]!.url, alice.accessToken)];
      const [toBob, toAlice] = [collect<TypingEvent>(b, "chat:typing"), collect<TypingEvent>(a, "chat:typing")];
      const ack = await typist.emitWithAck("chat:typing", { conversationId: group, isTyping: true });
      assert.deepEqual(ack, { ok: true, data: { delivered: true } });
      await received(toBob, 1, "bob told");
      await received(toAlice, 1, "alice told");
      assert.equal(toBob[0]?.userId, carol.userId);
    });

    it("is refused to non-members, for unknown conversations and towards a peer who blocked the typist", async () => {
      const outsider = await pool.connect(gateways[0]!.url, dave.accessToken);
      const notMember = await outsider.emitWithAck("chat:typing", { conversationId: direct, isTyping: true });
      assert.equal(!notMember.ok && notMember.error.code, "CONVERSATION_NOT_FOUND");
      const unknown = await outsider.emitWithAck("chat:typing", { conversationId: randomUUID(), isTyping: true });
      assert.equal(!unknown.ok && unknown.error.code, "CONVERSATION_NOT_FOUND");
      assert.equal(await platform.redis.exists(`typing:${direct}:${dave.userId}`), 0);

      const withCarol = (await services.chat.conversations.openDirect(alice, carol.userId)).id;
      await services.blocks.block(actor(carol), alice.userId);
      try {
        const typist = await pool.connect(gateways[0]!.url, alice.accessToken);
        const blocked = await typist.emitWithAck("chat:typing", { conversationId: withCarol, isTyping: true });
        assert.equal(!blocked.ok && blocked.error.code, "MESSAGING_NOT_ALLOWED");
      } finally {
        await services.blocks.unblock(actor(carol), alice.userId);
      }
    });
  });
});
