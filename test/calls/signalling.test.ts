import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { CallEndedHereEvent, CallGlareEvent, CallSignalEvent, IncomingCallEvent } from "../../shared/calls/call.events.js";
import type { CallView, InviteResult } from "../../shared/calls/call.types.js";
import type { ChatMessage } from "../../shared/chat/chat.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { httpCall } from "../helpers/http.js";
import { waitFor } from "../helpers/ports.js";
import { spawnRole, stopAllRoles, type RoleProcess } from "../helpers/processes.js";
import type { ClientSocket } from "../helpers/sockets.js";
import type { TestUser } from "../helpers/users.js";
import { arrival, CALL_TEST_ENV, callTestPlatform, collect, Devices, failed, makeUsers, ok, request, sleep } from "./call-fixtures.js";

const OFFER = { type: "offer", sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" };

describe("calls across two gateway replicas", function () {
  this.timeout(60_000);
  let platform: Platform;
  let services: Services;
  let gatewayA: RoleProcess;
  let gatewayB: RoleProcess;
  let api: RoleProcess;
  const devices = new Devices();

  before(async function () {
    this.timeout(120_000);
    ({ platform, services } = await callTestPlatform());
    // One at a time: on a busy machine four cold starts at once can outlast the start timeout.
    gatewayA = await spawnRole("gateway", CALL_TEST_ENV);
    gatewayB = await spawnRole("gateway", CALL_TEST_ENV);
    api = await spawnRole("api", CALL_TEST_ENV);
    await spawnRole("worker", { ...CALL_TEST_ENV, WORKER_QUEUES: "calls" });
  });

  afterEach(() => devices.closeAll());

  after(async function () {
    this.timeout(120_000);
    await stopAllRoles();
    await platform.close();
  });

  /** A direct conversation between two fresh users. */
  async function pair(): Promise<{ ann: TestUser; bob: TestUser; conversationId: string }> {
    const [ann, bob] = (await makeUsers(services, 2)) as [TestUser, TestUser];
    const conversation = await services.chat.conversations.openDirect(ann, bob.userId);
    return { ann, bob, conversationId: conversation.id };
  }

  async function callRecords(user: TestUser, conversationId: string, callId: string): Promise<ChatMessage[]> {
    const page = await services.chat.queries.history(user, { conversationId, limit: 50 });
    return page.messages.filter((m) => m.content?.type === "call" && m.content.call.callId === callId);
  }

  async function record(callId: string) {
    return platform.mongo.db.collection("calls").findOne({ _id: callId as never }, { comment: "scatter-gather: test inspection of a call record" });
  }

  it("rings every device of every invitee, on both replicas, with caller, media type, expiry and send time", async () => {
    const [ann, bob, carl] = (await makeUsers(services, 3)) as [TestUser, TestUser, TestUser];
    const group = await services.chat.groups.create(ann, { title: "Standup", memberIds: [bob.userId, carl.userId] });
    const caller = await devices.connect(gatewayA.url, ann, "ann-phone");
    const callerOther = await devices.connect(gatewayB.url, ann, "ann-laptop");
    const invitees = [
      await devices.connect(gatewayA.url, bob, "bob-phone"),
      await devices.connect(gatewayB.url, bob, "bob-laptop"),
      await devices.connect(gatewayA.url, carl, "carl-phone"),
      await devices.connect(gatewayB.url, carl, "carl-tablet"),
    ];
    const rings = invitees.map((socket) => collect<IncomingCallEvent>(socket, "call:incoming"));
    const callerRings = collect<IncomingCallEvent>(callerOther, "call:incoming");
    const before = Date.now();
    const { call } = ok(await request<InviteResult>(caller, "call:invite", { conversationId: group.id, mediaType: "video" }));
    assert.equal(call.status, "ringing");
    await waitFor(() => rings.every((r) => r.length === 1), 5_000, "every invitee device to ring");
    for (const [ring] of rings) {
      assert.equal(ring!.callId, call.id);
      assert.deepEqual(ring!.caller, { userId: ann.userId, deviceId: "ann-phone" });
      assert.equal(ring!.mediaType, "video");
      assert.equal(ring!.conversationType, "group");
      assert.ok(Date.parse(ring!.expiresAt) >= before + Number(CALL_TEST_ENV.CALL_RING_TIMEOUT_MS) - 50);
      assert.ok(Math.abs(Date.parse(ring!.sentAt) - Date.now()) < 5_000);
      assert.ok(ring!.version >= 1);
    }
    assert.equal(callerRings.length, 0, "the caller's own devices do not ring");
    ok(await request(caller, "call:hangup", { callId: call.id }));
  });

  it("accept on one device stops the user's other devices with answered_elsewhere; a second accept is refused", async () => {
    const { ann, bob, conversationId } = await pair();
    const caller = await devices.connect(gatewayA.url, ann, "a1");
    const phone = await devices.connect(gatewayB.url, bob, "b-phone");
    const laptop = await devices.connect(gatewayA.url, bob, "b-laptop");
    const tablet = await devices.connect(gatewayB.url, bob, "b-tablet");
    const stops = [phone, laptop, tablet].map((s) => collect<CallEndedHereEvent>(s, "call:ended-here"));
    const callerStates = collect<CallView>(caller, "call:state");
    const ringing = collect<IncomingCallEvent>(phone, "call:incoming");
    const { call } = ok(await request<InviteResult>(caller, "call:invite", { conversationId, mediaType: "audio" }));
    await arrival(ringing, (r) => r.callId === call.id, "ringing");
    const accepted = ok(await request<CallView>(laptop, "call:accept", { callId: call.id }));
    assert.equal(accepted.status, "active");
    assert.deepEqual(accepted.participants.find((p) => p.userId === bob.userId), { userId: bob.userId, state: "accepted", deviceId: "b-laptop" });
    for (const list of [stops[0]!, stops[2]!]) {
      const stop = await arrival(list, (e) => e.callId === call.id, "answered_elsewhere");
      assert.equal(stop.reason, "answered_elsewhere");
      assert.equal(stop.version, accepted.version);
    }
    await arrival(callerStates, (s) => s.id === call.id && s.status === "active", "the caller to see the call active");
    assert.equal(failed(await request(tablet, "call:accept", { callId: call.id })), "ANSWERED_ELSEWHERE");
    await sleep(200);
    assert.equal(stops[1]!.length, 0, "the answering device is not told to stop");
    ok(await request(laptop, "call:hangup", { callId: call.id }));
    await waitFor(async () => (await record(call.id))?.status === "ended", 5_000, "the record to say ended");
    const records = await callRecords(ann, conversationId, call.id);
    assert.equal(records.length, 1, "one call record message");
    assert.equal(records[0]!.content?.type === "call" && records[0]!.content.call.status, "answered");
  });

  it("decline on one device stops all of that user's devices with declined_elsewhere; the call is declined", async () => {
    const { ann, bob, conversationId } = await pair();
    const caller = await devices.connect(gatewayA.url, ann, "a1");
    const phone = await devices.connect(gatewayB.url, bob, "b-phone");
    const laptop = await devices.connect(gatewayA.url, bob, "b-laptop");
    const laptopStops = collect<CallEndedHereEvent>(laptop, "call:ended-here");
    const callerStates = collect<CallView>(caller, "call:state");
    const ringing = collect<IncomingCallEvent>(phone, "call:incoming");
    const { call } = ok(await request<InviteResult>(caller, "call:invite", { conversationId, mediaType: "video" }));
    await arrival(ringing, (r) => r.callId === call.id, "ringing");
    const declined = ok(await request<CallView>(phone, "call:decline", { callId: call.id }));
    assert.equal(declined.status, "declined");
    const stop = await arrival(laptopStops, (e) => e.callId === call.id, "declined_elsewhere");
    assert.deepEqual(stop, { callId: call.id, reason: "declined_elsewhere", version: declined.version });
    await arrival(callerStates, (s) => s.id === call.id && s.status === "declined", "the caller to see the decline");
    assert.equal(failed(await request(laptop, "call:accept", { callId: call.id })), "CALL_ENDED");
    await waitFor(async () => (await callRecords(bob, conversationId, call.id))[0]?.content?.type === "call", 5_000, "the call record");
    await waitFor(async () => {
      const [message] = await callRecords(bob, conversationId, call.id);
      return message?.content?.type === "call" && message.content.call.status === "declined";
    }, 5_000, "the record to say declined");
  });

  it("cancel by the caller stops every ringing device with cancelled and records the call as missed for the invitee", async () => {
    const { ann, bob, conversationId } = await pair();
    const caller = await devices.connect(gatewayA.url, ann, "a1");
    const phones = [await devices.connect(gatewayB.url, bob, "b1"), await devices.connect(gatewayA.url, bob, "b2")];
    const stops = phones.map((s) => collect<CallEndedHereEvent>(s, "call:ended-here"));
    const ringing = collect<IncomingCallEvent>(phones[0]!, "call:incoming");
    const { call } = ok(await request<InviteResult>(caller, "call:invite", { conversationId, mediaType: "audio" }));
    await arrival(ringing, (r) => r.callId === call.id, "ringing");
    const cancelled = ok(await request<CallView>(caller, "call:hangup", { callId: call.id }));
    assert.equal(cancelled.status, "cancelled");
    for (const list of stops) assert.equal((await arrival(list, (e) => e.callId === call.id, "cancelled")).reason, "cancelled");
    await waitFor(async () => (await record(call.id))?.status === "cancelled", 5_000, "the record");
    const doc = await record(call.id);
    assert.deepEqual(doc!.missedUserIds, [bob.userId]);
    assert.equal(doc!.endedBy, ann.userId);
    assert.ok(doc!.endedAt instanceof Date);
    assert.ok((doc!.events as Array<{ type: string }>).some((e) => e.type === "end"));
    await waitFor(async () => (await callRecords(ann, conversationId, call.id)).length === 1, 5_000, "one record message");
  });

  it("busy: a direct call to a user in another call answers busy at once; in a group that participant is marked busy", async () => {
    const [ann, bob, carl, dave] = (await makeUsers(services, 4)) as [TestUser, TestUser, TestUser, TestUser];
    const carlDave = await services.chat.conversations.openDirect(carl, dave.userId);
    const annCarl = await services.chat.conversations.openDirect(ann, carl.userId);
    const group = await services.chat.groups.create(ann, { title: "Trio", memberIds: [bob.userId, carl.userId] });
    const carlSocket = await devices.connect(gatewayA.url, carl, "c1");
    const daveSocket = await devices.connect(gatewayB.url, dave, "d1");
    const annSocket = await devices.connect(gatewayB.url, ann, "a1");
    const busyRings = collect<IncomingCallEvent>(carlSocket, "call:incoming");
    const inCall = ok(await request<InviteResult>(carlSocket, "call:invite", { conversationId: carlDave.id, mediaType: "audio" }));
    await waitFor(async () => (await request<CallView>(daveSocket, "call:accept", { callId: inCall.call.id })).ok, 5_000, "dave to accept");

    const direct = ok(await request<InviteResult>(annSocket, "call:invite", { conversationId: annCarl.id, mediaType: "audio" }));
    assert.equal(direct.call.status, "busy");
    assert.equal(direct.call.participants.find((p) => p.userId === carl.userId)?.state, "busy");
    const grouped = ok(await request<InviteResult>(annSocket, "call:invite", { conversationId: group.id, mediaType: "audio" }));
    assert.equal(grouped.call.status, "ringing");
    assert.equal(grouped.call.participants.find((p) => p.userId === carl.userId)?.state, "busy");
    assert.equal(grouped.call.participants.find((p) => p.userId === bob.userId)?.state, "ringing");
    await sleep(300);
    assert.equal(busyRings.filter((r) => r.callId === direct.call.id || r.callId === grouped.call.id).length, 0, "a busy user's devices do not ring");
    await waitFor(async () => (await record(direct.call.id))?.status === "busy", 5_000, "the busy record");
    ok(await request(annSocket, "call:hangup", { callId: grouped.call.id }));
    ok(await request(carlSocket, "call:hangup", { callId: inCall.call.id }));
  });

  it("ring timeout: the server's delayed job makes the call missed, with one call record", async () => {
    const { ann, bob, conversationId } = await pair();
    const caller = await devices.connect(gatewayA.url, ann, "a1");
    const phone = await devices.connect(gatewayB.url, bob, "b1");
    const stops = collect<CallEndedHereEvent>(phone, "call:ended-here");
    const { call } = ok(await request<InviteResult>(caller, "call:invite", { conversationId, mediaType: "audio" }));
    const stop = await arrival(stops, (e) => e.callId === call.id, "missed", 10_000);
    assert.equal(stop.reason, "missed");
    await waitFor(async () => (await record(call.id))?.status === "missed", 5_000, "the missed record");
    const doc = await record(call.id);
    assert.equal(doc!.endReason, "timeout");
    assert.deepEqual(doc!.missedUserIds, [bob.userId]);
    await waitFor(async () => {
      const messages = await callRecords(bob, conversationId, call.id);
      return messages.length === 1 && messages[0]!.content?.type === "call" && messages[0]!.content.call.status === "missed";
    }, 5_000, "one record message saying missed");
    assert.equal(failed(await request(phone, "call:accept", { callId: call.id })), "CALL_ENDED");
  });

  it("concurrent accepts from two devices of the callee: exactly one wins", async () => {
    const { ann, bob, conversationId } = await pair();
    const caller = await devices.connect(gatewayA.url, ann, "a1");
    const one = await devices.connect(gatewayA.url, bob, "b1");
    const two = await devices.connect(gatewayB.url, bob, "b2");
    for (let round = 0; round < 8; round++) {
      const { call } = ok(await request<InviteResult>(caller, "call:invite", { conversationId, mediaType: "audio" }));
      const acks = await Promise.all([request<CallView>(one, "call:accept", { callId: call.id }), request<CallView>(two, "call:accept", { callId: call.id })]);
      assert.equal(acks.filter((a) => a.ok).length, 1, `round ${round}: one accept wins`);
      assert.equal(failed(acks.find((a) => !a.ok)!), "ANSWERED_ELSEWHERE");
      ok(await request(caller, "call:hangup", { callId: call.id }));
    }
  });

  it("glare: 200 pairs inviting each other with 0-500 ms skew each end in exactly one connected call", async function () {
    this.timeout(120_000);
    const PAIRS = 25;
    const ROUNDS = 8;
    const users = await makeUsers(services, PAIRS * 2);
    const pairs = await Promise.all(
      Array.from({ length: PAIRS }, async (_, i) => {
        const [a, b] = [users[2 * i]!, users[2 * i + 1]!];
        const conversation = await services.chat.conversations.openDirect(a, b.userId);
        const sa = await devices.connect(gatewayA.url, a, "ga");
        const sb = await devices.connect(gatewayB.url, b, "gb");
        return { a, b, sa, sb, conversationId: conversation.id, glareA: collect<CallGlareEvent>(sa, "call:glare"), glareB: collect<CallGlareEvent>(sb, "call:glare") };
      }),
    );
    let replacedSeen = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(
        pairs.map(async (p) => {
          p.glareA.length = 0;
          p.glareB.length = 0;
          const skew = Math.floor(Math.random() * 500);
          const [first, second] = Math.random() < 0.5 ? [p.sa, p.sb] : [p.sb, p.sa];
          const invite = (socket: ClientSocket) => request<InviteResult>(socket, "call:invite", { conversationId: p.conversationId, mediaType: "audio" });
          const [r1, r2] = await Promise.all([invite(first), sleep(skew).then(() => invite(second))]);
          const a1 = ok(r1);
          const a2 = ok(r2);
          // Every id either side heard of: its own call, and the survivor a glare told it about.
          const heard = () => new Set([a1.call.id, a2.call.id, ...[a1, a2].flatMap((a) => (a.glare ? [a.glare.survivorId] : [])), ...p.glareA.map((e) => e.survivorId), ...p.glareB.map((e) => e.survivorId)]);
          let survivorId = "";
          await waitFor(async () => {
            const states = await Promise.all([...heard()].map((id) => services.calls.calls.current(p.a.userId, id)));
            const live = states.filter((s) => s && s.status === "active");
            if (live.length !== 1 || states.some((s) => s && s.status === "ringing")) return false;
            survivorId = live[0]!.id;
            return true;
          }, 15_000, `pair ${p.conversationId} round ${round}: one connected call`);
          const survivor = (await services.calls.calls.current(p.a.userId, survivorId))!;
          assert.deepEqual(survivor.participants.map((x) => x.state).sort(), ["accepted", "accepted"]);
          for (const id of heard()) {
            if (id === survivorId) continue;
            replacedSeen++;
            const other = await services.calls.calls.current(p.a.userId, id);
            // A call that gave way either was discarded before it rang or ended as glare.
            if (other) assert.equal(other.endReason, "glare");
          }
          // Both sides are told which call survived: by their ack or by call:glare.
          const knows = (ack: InviteResult, events: CallGlareEvent[]) => ack.call.id === survivorId || ack.glare?.survivorId === survivorId || events.some((e) => e.survivorId === survivorId);
          await waitFor(() => knows(first === p.sa ? a1 : a2, p.glareA) && knows(first === p.sb ? a1 : a2, p.glareB), 5_000, "both sides to know the survivor");
          const hung = await request(p.sa, "call:hangup", { callId: survivorId });
          if (!hung.ok) {
            const raw = await platform.redis.get(`{call:${survivorId}}:state`);
            assert.fail(`survivor ended early: ${raw}`);
          }
          const after = await services.calls.calls.current(p.a.userId, survivorId);
          assert.equal(after?.status, "ended");
        }),
      );
    }
    assert.ok(replacedSeen > 0, "some invites were merged into the other's call");
  });

  it("relays signals only between joined parties of the same call, addressed to a device", async () => {
    const { ann, bob, conversationId } = await pair();
    const { ann: eve, bob: mallory, conversationId: otherConversation } = await pair();
    const caller = await devices.connect(gatewayA.url, ann, "a1");
    const callee = await devices.connect(gatewayB.url, bob, "b1");
    const calleeRinging = await devices.connect(gatewayA.url, bob, "b2");
    const eveSocket = await devices.connect(gatewayA.url, eve, "e1");
    const mallorySocket = await devices.connect(gatewayB.url, mallory, "m1");
    const received = [caller, callee, calleeRinging, eveSocket, mallorySocket].map((s) => collect<CallSignalEvent>(s, "call:signal"));
    const { call } = ok(await request<InviteResult>(caller, "call:invite", { conversationId, mediaType: "audio" }));
    // Before the callee joins, there is nobody to signal.
    assert.equal(ok(await request<{ delivered: number }>(caller, "call:signal", { callId: call.id, kind: "offer", payload: OFFER })).delivered, 0);
    ok(await request(callee, "call:accept", { callId: call.id }));
    const other = ok(await request<InviteResult>(eveSocket, "call:invite", { conversationId: otherConversation, mediaType: "audio" }));
    ok(await request(mallorySocket, "call:accept", { callId: other.call.id }));

    assert.equal(ok(await request<{ delivered: number }>(caller, "call:signal", { callId: call.id, toDeviceId: "b1", kind: "offer", payload: OFFER })).delivered, 1);
    const candidates = { candidates: [{ candidate: "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", sdpMid: "0", sdpMLineIndex: 0 }] };
    ok(await request(callee, "call:signal", { callId: call.id, kind: "candidates", payload: candidates }));
    ok(await request(eveSocket, "call:signal", { callId: other.call.id, kind: "candidates", payload: candidates }));
    const offer = await arrival(received[1]!, (s) => s.kind === "offer", "the offer at the callee");
    assert.deepEqual(offer, { callId: call.id, fromUserId: ann.userId, fromDeviceId: "a1", kind: "offer", payload: OFFER });
    await arrival(received[0]!, (s) => s.kind === "candidates", "candidates at the caller");
    await arrival(received[4]!, (s) => s.kind === "candidates", "the other call's candidates");

    assert.equal(failed(await request(calleeRinging, "call:signal", { callId: call.id, kind: "offer", payload: OFFER })), "NOT_A_PARTY");
    assert.equal(failed(await request(eveSocket, "call:signal", { callId: call.id, kind: "offer", payload: OFFER })), "CALL_NOT_FOUND");
    assert.equal(failed(await request(caller, "call:signal", { callId: call.id, toDeviceId: "b2", kind: "offer", payload: OFFER })), "PARTY_NOT_FOUND");
    assert.equal(failed(await request(caller, "call:signal", { callId: other.call.id, kind: "offer", payload: OFFER })), "CALL_NOT_FOUND");
    await sleep(300);
    assert.equal(received[2]!.length, 0, "a device that did not join receives nothing");
    assert.ok(received[3]!.every((s) => s.callId === other.call.id) && received[4]!.every((s) => s.callId === other.call.id), "nothing crosses calls");
    assert.ok(received[0]!.every((s) => s.callId === call.id) && received[1]!.every((s) => s.callId === call.id));
    ok(await request(callee, "call:hangup", { callId: call.id }));
    assert.equal(failed(await request(caller, "call:signal", { callId: call.id, kind: "offer", payload: OFFER })), "CALL_ENDED");
    ok(await request(eveSocket, "call:hangup", { callId: other.call.id }));
  });

  it("refuses bad payloads on every call event and changes nothing", async () => {
    const { ann, bob, conversationId } = await pair();
    const outsider = (await makeUsers(services, 1))[0]!;
    const caller = await devices.connect(gatewayA.url, ann, "a1");
    const callee = await devices.connect(gatewayB.url, bob, "b1");
    const stranger = await devices.connect(gatewayB.url, outsider, "x1");
    const rings = collect<IncomingCallEvent>(callee, "call:incoming");
    const bad: Array<[string, unknown]> = [
      ["call:invite", null],
      ["call:invite", "x"],
      ["call:invite", { conversationId }],
      ["call:invite", { conversationId, mediaType: "hologram" }],
      ["call:invite", { conversationId: "nope", mediaType: "audio" }],
      ["call:invite", { conversationId, mediaType: "audio", extra: 1 }],
      ["call:invite", { conversationId, mediaType: "audio", $where: "1" }],
      ["call:invite", { conversationId, mediaType: "audio", callId: "not-a-uuid" }],
      ["call:accept", {}],
      ["call:accept", { callId: 5 }],
      ["call:accept", { callId: randomUUID(), version: -1 }],
      ["call:decline", { callId: "x" }],
      ["call:hangup", []],
      ["call:resume", { callId: randomUUID(), extra: true }],
      ["call:signal", { callId: randomUUID(), kind: "shout", payload: {} }],
      ["call:signal", { callId: randomUUID(), kind: "offer", payload: { type: "offer", sdp: "hello" } }],
      ["call:signal", { callId: randomUUID(), kind: "offer", payload: { type: "offer", sdp: `v=0\u0000` } }],
      ["call:signal", { callId: randomUUID(), kind: "offer", payload: { type: "offer", sdp: `v=0${"a".repeat(20_000)}` } }],
      ["call:signal", { callId: randomUUID(), kind: "answer", payload: { type: "offer", sdp: "v=0\r\n" } }],
      ["call:signal", { callId: randomUUID(), kind: "candidates", payload: { candidates: [] } }],
      ["call:signal", { callId: randomUUID(), kind: "candidates", payload: { candidates: Array.from({ length: 40 }, () => ({ candidate: "c" })) } }],
      ["call:signal", { callId: randomUUID(), kind: "candidates", payload: { candidates: [{ candidate: "c", evil: 1 }] } }],
      ["call:signal", { callId: randomUUID(), kind: "hangup", payload: { reason: "bye\u0007" } }],
      ["call:signal", { callId: randomUUID(), toDeviceId: "../../x", kind: "hangup", payload: {} }],
    ];
    for (const [event, payload] of bad) {
      assert.equal(failed(await request(caller, event, payload)), "VALIDATION_FAILED", `${event} ${JSON.stringify(payload)?.slice(0, 80)}`);
    }
    // Well-formed but not allowed: a stranger learns nothing.
    assert.equal(failed(await request(stranger, "call:invite", { conversationId, mediaType: "audio" })), "CONVERSATION_NOT_FOUND");
    const { call } = ok(await request<InviteResult>(caller, "call:invite", { conversationId, mediaType: "audio" }));
    for (const event of ["call:accept", "call:decline", "call:hangup", "call:resume"]) {
      assert.equal(failed(await request(stranger, event, { callId: call.id })), "CALL_NOT_FOUND", event);
      assert.equal(failed(await request(stranger, event, { callId: call.id, version: 1 })), "CALL_NOT_FOUND", `${event} with a version`);
    }
    assert.equal(failed(await request(callee, "call:accept", { callId: call.id, version: 99 })), "VERSION_CONFLICT");
    assert.equal(failed(await request(caller, "call:invite", { conversationId, mediaType: "audio", callId: call.id })), "CONFLICT");
    const state = await services.calls.calls.current(ann.userId, call.id);
    assert.equal(state?.status, "ringing");
    assert.equal(state?.version, 1, "nothing changed the call");
    assert.equal(rings.length, 1);
    ok(await request(caller, "call:hangup", { callId: call.id }));
  });

  it("drops a party whose devices all vanished for longer than the grace period, ending the call", async () => {
    const { ann, bob, conversationId } = await pair();
    const caller = await devices.connect(gatewayA.url, ann, "a1");
    const callee = await devices.connect(gatewayB.url, bob, "b1");
    const states = collect<CallView>(caller, "call:state");
    const { call } = ok(await request<InviteResult>(caller, "call:invite", { conversationId, mediaType: "audio" }));
    ok(await request(callee, "call:accept", { callId: call.id }));
    callee.close();
    const ended = await arrival(states, (s) => s.id === call.id && s.status === "ended", "the call to end", 25_000);
    assert.equal(ended.endReason, "lost");
    assert.equal(ended.participants.find((p) => p.userId === bob.userId)?.state, "left");
  });

  it("serves history with filters and cursors from the records, ICE servers with TURN REST credentials, and one call", async () => {
    const [ann, bob, carl] = (await makeUsers(services, 3)) as [TestUser, TestUser, TestUser];
    const withBob = await services.chat.conversations.openDirect(ann, bob.userId);
    const withCarl = await services.chat.conversations.openDirect(ann, carl.userId);
    const annSocket = await devices.connect(gatewayA.url, ann, "a1");
    const bobSocket = await devices.connect(gatewayB.url, bob, "b1");
    const ids: string[] = [];
    for (const [conversationId, mediaType] of [[withBob.id, "audio"], [withCarl.id, "video"], [withBob.id, "video"]] as const) {
      const { call } = ok(await request<InviteResult>(annSocket, "call:invite", { conversationId, mediaType }));
      ids.push(call.id);
      if (conversationId === withBob.id && mediaType === "video") {
        ok(await request(bobSocket, "call:accept", { callId: call.id }));
        ok(await request(bobSocket, "call:hangup", { callId: call.id }));
      } else {
        ok(await request(annSocket, "call:hangup", { callId: call.id }));
      }
      await waitFor(async () => ["ended", "cancelled"].includes(String((await record(call.id))?.status)), 5_000, "the record");
    }
    const get = (path: string, token = ann.accessToken) => httpCall(api.url, "GET", path, { token });
    const all = await get("/api/calls?limit=2");
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.items.map((c: { id: string }) => c.id), [ids[2], ids[1]]);
    const next = await get(`/api/calls?limit=2&cursor=${all.body.nextCursor}`);
    assert.deepEqual(next.body.items.map((c: { id: string }) => c.id), [ids[0]]);
    assert.equal(next.body.nextCursor, null);
    assert.deepEqual((await get("/api/calls?mediaType=video")).body.items.map((c: { id: string }) => c.id), [ids[2], ids[1]]);
    assert.deepEqual((await get(`/api/calls?peer=${carl.userId}`)).body.items.map((c: { id: string }) => c.id), [ids[1]]);
    assert.deepEqual((await get("/api/calls?status=ended")).body.items.map((c: { id: string }) => c.id), [ids[2]]);
    assert.deepEqual((await get("/api/calls?missedOnly=true", bob.accessToken)).body.items.map((c: { id: string }) => c.id), [ids[0]]);
    assert.deepEqual((await get("/api/calls?missedOnly=true")).body.items, []);
    for (const query of ["status=bogus", "limit=0", "limit=500", "peer=x", "cursor=***", "missedOnly=maybe", "extra=1", "mediaType=fax"]) {
      assert.equal((await get(`/api/calls?${query}`)).status, 400, query);
    }
    const one = await get(`/api/calls/${ids[2]}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.call.status, "ended");
    assert.ok(one.body.call.durationSeconds >= 0);
    assert.equal((await get(`/api/calls/${ids[2]}`, carl.accessToken)).status, 404);
    assert.equal((await get("/api/calls/not-an-id")).status, 400);
    assert.equal((await httpCall(api.url, "GET", "/api/calls")).status, 401);

    const ice = await get("/api/calls/ice-servers");
    assert.equal(ice.status, 200);
    const turn = ice.body.iceServers.find((s: { username?: string }) => s.username);
    const [expiry, userId] = turn.username.split(":");
    assert.equal(userId, ann.userId);
    assert.ok(Math.abs(Number(expiry) - (Date.now() / 1000 + Number(CALL_TEST_ENV.TURN_TTL_SECONDS))) < 30);
    const { createHmac } = await import("node:crypto");
    assert.equal(turn.credential, createHmac("sha1", CALL_TEST_ENV.TURN_SECRET).update(turn.username).digest("base64"));
    assert.deepEqual(turn.urls, [CALL_TEST_ENV.TURN_URLS]);
  });

  it("a call survives the SIGKILL of the replica holding a party: the device resumes on the other replica", async function () {
    this.timeout(60_000);
    const { ann, bob, conversationId } = await pair();
    const doomed = await spawnRole("gateway", CALL_TEST_ENV);
    const caller = await devices.connect(doomed.url, ann, "a-phone");
    const callee = await devices.connect(gatewayB.url, bob, "b-phone");
    const calleeSignals = collect<CallSignalEvent>(callee, "call:signal");
    const { call } = ok(await request<InviteResult>(caller, "call:invite", { conversationId, mediaType: "video" }));
    ok(await request(callee, "call:accept", { callId: call.id }));
    doomed.kill("SIGKILL");
    await doomed.exited;
    const back = await devices.connect(gatewayA.url, ann, "a-phone");
    const resumed = ok(await request<CallView>(back, "call:resume", { callId: call.id }));
    assert.equal(resumed.status, "active");
    ok(await request(back, "call:signal", { callId: call.id, kind: "renegotiate", payload: OFFER }));
    await arrival(calleeSignals, (s) => s.kind === "renegotiate", "the renegotiation after the failover");
    // Longer than the grace period: the resumed party is vouched for by its new replica.
    await sleep(Number(CALL_TEST_ENV.CALL_PARTY_GRACE_MS) + 1_500);
    const live = await services.calls.calls.current(ann.userId, call.id);
    assert.equal(live?.status, "active");
    assert.equal(failed(await request(callee, "call:resume", { callId: randomUUID() })), "CALL_NOT_FOUND");
    const otherDevice = await devices.connect(gatewayB.url, ann, "a-laptop");
    assert.equal(failed(await request(otherDevice, "call:resume", { callId: call.id })), "NOT_A_PARTY");
    ok(await request(back, "call:hangup", { callId: call.id }));
  });
});
