import assert from "node:assert/strict";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { waitFor } from "../helpers/ports.js";
import type { TestUser } from "../helpers/users.js";
import { callTestPlatform, makeUsers } from "./call-fixtures.js";

/** The calls service in-process: its domain events ride in the record's outbox and are dispatched after the write. */
describe("call domain events", function () {
  this.timeout(30_000);
  let platform: Platform;
  let services: Services;

  before(async () => {
    ({ platform, services } = await callTestPlatform());
  });

  after(() => platform.close());

  const record = (callId: string) => platform.mongo.db.collection("calls").findOne({ _id: callId as never }, { comment: "scatter-gather: test inspection of a call record" });

  it("announces call.missed for each user who did not answer and call.ended once, in the writes that made them", async () => {
    const [ann, bob, carl] = (await makeUsers(services, 3)) as [TestUser, TestUser, TestUser];
    const group = await services.chat.groups.create(ann, { title: "Missed", memberIds: [bob.userId, carl.userId] });
    const seen: string[] = [];
    services.events.on("call.missed", (payload) => void seen.push(`missed:${payload.callId}:${payload.userId}:${payload.reason}`));
    services.events.on("call.ended", (payload) => void seen.push(`ended:${payload.callId}:${payload.status}`));
    const { calls } = services.calls;
    const { call } = await calls.invite({ userId: ann.userId, deviceId: "a1" }, { conversationId: group.id, mediaType: "audio" });
    await calls.accept({ userId: bob.userId, deviceId: "b1" }, { callId: call.id });
    // The ring-timeout job's handler: carl, still ringing, missed the call; it goes on for the others.
    await calls.timeout(call.id);
    assert.deepEqual(seen, [`missed:${call.id}:${carl.userId}:timeout`]);
    assert.equal((await record(call.id))!.status, "active");
    assert.deepEqual((await record(call.id))!.missedUserIds, [carl.userId]);
    await waitFor(async () => ((await record(call.id))!.outbox ?? []).length === 0, 10_000, "dispatched entries to be cleared");
    // A repeated timeout changes nothing and announces nothing.
    assert.deepEqual(await calls.timeout(call.id), { skipped: "NOOP" });
    await calls.hangup({ userId: bob.userId, deviceId: "b1" }, { callId: call.id });
    assert.deepEqual(seen, [`missed:${call.id}:${carl.userId}:timeout`, `ended:${call.id}:ended`]);
    const done = await record(call.id);
    assert.equal(done!.status, "ended");
    assert.equal(done!.endReason, "hangup");
    assert.equal(done!.endedBy, bob.userId);
  });
});
