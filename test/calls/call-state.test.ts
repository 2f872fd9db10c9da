import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { CallStateRepository } from "../../shared/calls/call-state.repository.js";
import type { CallState } from "../../shared/calls/call.types.js";
import { createRedis, closeRedis, type Redis } from "../../shared/db/redis.js";
import { createLogger } from "../../shared/logging/logger.js";
import { loadConfig } from "../../shared/config/config.js";

/** The transition scripts on real Redis: races resolve to exactly one outcome, versions only move forward. */
describe("call state scripts", () => {
  let redis: Redis;
  let repo: CallStateRepository;

  before(() => {
    const config = loadConfig();
    redis = createRedis(config.REDIS_URL, "app", createLogger(config).child({ role: "test" }), config.REDIS_PREFIX);
    repo = new CallStateRepository(redis, 60_000);
  });

  after(() => closeRedis(redis));

  async function ringing(invitees = 1): Promise<{ call: CallState; caller: string; callees: string[] }> {
    const caller = randomUUID();
    const callees = Array.from({ length: invitees }, () => randomUUID());
    const now = Date.now();
    const call: CallState = {
      id: randomUUID(),
      conversationId: randomUUID(),
      conversationType: invitees === 1 ? "direct" : "group",
      mediaType: "audio",
      initiatorId: caller,
      initiatorDeviceId: "caller-device",
      status: "ringing",
      version: 1,
      createdAt: now,
      updatedAt: now,
      expiresAt: now + 45_000,
      parties: { [caller]: { state: "accepted", deviceId: "caller-device", seenAt: now, at: now }, ...Object.fromEntries(callees.map((id) => [id, { state: "ringing", at: now }])) },
      events: [{ type: "invite", userId: caller, at: now }],
    };
    assert.equal(await repo.create(call, 60_000), true);
    assert.equal(await repo.create(call, 60_000), false, "a call id is written once");
    return { call, caller, callees };
  }

  it("an answer racing a cancel: exactly one wins, and the loser sees the winner's state", async () => {
    for (let i = 0; i < 20; i++) {
      const { call, caller, callees } = await ringing();
      const [answer, cancel] = await Promise.all([repo.accept(call.id, callees[0]!, "d1", "answer", 8), repo.hangup(call.id, caller, "caller-device")]);
      const final = await repo.get(call.id);
      if (answer.code === "OK" && cancel.code === "OK") {
        // The answer came first; the caller's hangup then ended the answered call.
        assert.equal(final!.status, "ended");
      } else {
        assert.equal(cancel.code, "OK");
        assert.equal(answer.code, "CALL_ENDED");
        assert.equal(final!.status, "cancelled");
      }
    }
  });

  it("a decline racing the timeout: one outcome, one version step each", async () => {
    for (let i = 0; i < 20; i++) {
      const { call, callees } = await ringing();
      const [decline, timeout] = await Promise.all([repo.decline(call.id, callees[0]!), repo.timeout(call.id)]);
      assert.equal([decline, timeout].filter((t) => t.code === "OK").length, 1);
      const final = await repo.get(call.id);
      assert.ok(["declined", "missed"].includes(final!.status));
      assert.equal(final!.version, 2);
    }
  });

  it("many devices of one user accepting at once: one wins, the rest are told it was answered elsewhere", async () => {
    const { call, callees } = await ringing();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => repo.accept(call.id, callees[0]!, `d${i}`, "answer", 8)));
    assert.equal(results.filter((r) => r.code === "OK").length, 1);
    assert.equal(results.filter((r) => r.code === "ANSWERED_ELSEWHERE").length, 9);
    assert.deepEqual(Object.keys(await repo.joined(call.id)).sort(), Object.keys(call.parties).sort());
  });

  it("compare-and-set on the version, the participant cap, and the joined-parties hash", async () => {
    const { call, caller, callees } = await ringing(3);
    assert.equal((await repo.accept(call.id, callees[0]!, "d", "answer", 8, 7)).code, "VERSION_CONFLICT");
    assert.equal((await repo.accept(call.id, randomUUID(), "d", "answer", 8, 1)).code, "CALL_NOT_FOUND", "a stranger learns nothing, not even the version");
    const first = await repo.accept(call.id, callees[0]!, "d0", "answer", 2, 1);
    assert.equal(first.code, "OK");
    assert.equal(first.state!.version, 2);
    assert.equal((await repo.accept(call.id, callees[1]!, "d1", "answer", 2)).code, "CALL_FULL");
    assert.equal((await repo.accept(call.id, callees[1]!, "caller-device", "answer", 8)).code, "DEVICE_CONFLICT");
    assert.deepEqual(await repo.joined(call.id), { [caller]: "caller-device", [callees[0]!]: "d0" });
    const left = await repo.hangup(call.id, callees[0]!, "d0");
    assert.equal(left.state!.status, "ended", "fewer than two parties: the call ends");
    assert.equal(left.state!.parties[callees[1]!]!.state, "missed");
    assert.deepEqual(await repo.joined(call.id), {});
    assert.equal((await repo.timeout(call.id)).code, "CALL_ENDED");
  });

  it("the reap drops a party not vouched for within the grace period and ends the call", async () => {
    const { call, caller, callees } = await ringing();
    await repo.accept(call.id, callees[0]!, "d0", "answer", 8);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(await repo.touch([{ callId: call.id, userId: caller, deviceId: "caller-device" }, { callId: call.id, userId: caller, deviceId: "other" }]), [true, false]);
    assert.equal((await repo.reap(call.id, 10_000, 86_400_000, 5_000)).code, "NOOP");
    const reaped = await repo.reap(call.id, 200, 86_400_000, 5_000);
    assert.equal(reaped.code, "OK");
    assert.equal(reaped.state!.status, "ended");
    assert.equal(reaped.state!.endReason, "lost");
    assert.equal(reaped.state!.parties[callees[0]!]!.state, "left");
  });
});
