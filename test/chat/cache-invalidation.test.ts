import assert from "node:assert/strict";
import type { ConversationView } from "../../shared/chat/chat.types.js";
import type { AckResponse } from "../../shared/runtime/socket-events.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { spawnRole, stopAllRoles, type RoleProcess } from "../helpers/processes.js";
import { waitFor } from "../helpers/ports.js";
import { connectSocket, type ClientSocket } from "../helpers/sockets.js";
import type { TestUser } from "../helpers/users.js";
import { call, clientId, makeUsers } from "./chat-fixtures.js";

/** Emits a client event and resolves with its acknowledgement. */
function request(socket: ClientSocket, event: string, payload: unknown): Promise<AckResponse<unknown>> {
  return new Promise((resolve) => (socket.emit as (e: string, p: unknown, ack: (r: unknown) => void) => void)(event, payload, (r) => resolve(r as AckResponse<unknown>)));
}

const send = (socket: ClientSocket, conversationId: string) =>
  request(socket, "chat:send", { conversationId, clientMessageId: clientId(), content: { type: "text", text: "hello" } });
const codeOf = (ack: AckResponse<unknown>) => (ack.ok ? "ok" : ack.error.code);

describe("chat caches invalidated across processes", function () {
  this.timeout(60_000);
  let platform: Platform;
  let services: Services;
  let gatewayA: RoleProcess;
  let gatewayB: RoleProcess;
  let api: RoleProcess;
  let users: TestUser[];
  const sockets: ClientSocket[] = [];

  const connect = async (url: string, user: TestUser) => {
    const socket = await connectSocket(url, user.accessToken);
    sockets.push(socket);
    return socket;
  };
  const direct = async (a: TestUser, b: TestUser) =>
    (await call<{ conversation: ConversationView }>(api.url, a.accessToken, "POST", "/api/chat/conversations", { type: "direct", userId: b.userId })).body.conversation;

  before(async function () {
    ({ platform, services } = await createTestPlatform());
    users = await makeUsers(services, 6);
    [gatewayA, gatewayB, api] = await Promise.all([spawnRole("gateway"), spawnRole("gateway"), spawnRole("api")]);
  });

  after(async () => {
    for (const socket of sockets) socket.close();
    await stopAllRoles();
    await platform.close();
  });

  it("a block made through the API refuses the next send at once on both gateway replicas, and an unblock allows it again", async () => {
    const [ann, bob] = users as [TestUser, TestUser];
    const conversation = await direct(ann, bob);
    const [annA, annB] = [await connect(gatewayA.url, ann), await connect(gatewayB.url, ann)];
    // Both replicas now hold "ann may message bob" in their caches.
    assert.equal(codeOf(await send(annA, conversation.id)), "ok");
    assert.equal(codeOf(await send(annB, conversation.id)), "ok");
    assert.equal((await call(api.url, bob.accessToken, "POST", `/api/profiles/${ann.userId}/block`)).status, 204);
    assert.equal(codeOf(await send(annB, conversation.id)), "MESSAGING_NOT_ALLOWED");
    assert.equal(codeOf(await send(annA, conversation.id)), "MESSAGING_NOT_ALLOWED");
    assert.equal((await call(api.url, bob.accessToken, "DELETE", `/api/profiles/${ann.userId}/block`)).status, 204);
    assert.equal(codeOf(await send(annB, conversation.id)), "ok");
  });

  it("a block made by the other user of the pair, or in the test process's services, reaches the gateways too", async () => {
    const [, , carl, dora] = users as [TestUser, TestUser, TestUser, TestUser];
    const conversation = await direct(carl, dora);
    const doraA = await connect(gatewayA.url, dora);
    assert.equal(codeOf(await send(doraA, conversation.id)), "ok");
    // This process publishes on the same channel as the API would.
    await services.blocks.block({ userId: dora.userId, sessionId: dora.sessionId, roles: [] }, carl.userId);
    assert.equal(codeOf(await send(doraA, conversation.id)), "MESSAGING_NOT_ALLOWED");
  });

  it("narrowing \"who can message me\" refuses the next send at once on the other replica", async () => {
    const [, , , , eve, finn] = users as [TestUser, TestUser, TestUser, TestUser, TestUser, TestUser];
    const conversation = await direct(eve, finn);
    const finnB = await connect(gatewayB.url, finn);
    assert.equal(codeOf(await send(finnB, conversation.id)), "ok");
    const changed = await call(api.url, eve.accessToken, "PATCH", "/api/profiles/me", { privacy: { whoCanMessage: "nobody" } });
    assert.equal(changed.status, 200);
    assert.equal(codeOf(await send(finnB, conversation.id)), "MESSAGING_NOT_ALLOWED");
    const widened = await call(api.url, eve.accessToken, "PATCH", "/api/profiles/me", { privacy: { whoCanMessage: "everyone" } });
    assert.equal(widened.status, 200, JSON.stringify(widened.body));
    assert.equal(codeOf(await send(finnB, conversation.id)), "ok");
  });

  it("a member removed through the API is refused at once by the other replica's member-list checks", async () => {
    const [ann, bob, carl] = users as [TestUser, TestUser, TestUser];
    const created = await call<{ conversation: ConversationView }>(api.url, ann.accessToken, "POST", "/api/chat/conversations", { type: "group", title: "Cache test", memberIds: [bob.userId, carl.userId] });
    const group = created.body.conversation;
    const carlB = await connect(gatewayB.url, carl);
    // Typing checks membership against the cached list only; this fills gateway B's cache.
    assert.equal(codeOf(await request(carlB, "chat:typing", { conversationId: group.id, isTyping: true })), "ok");
    assert.equal((await call(api.url, ann.accessToken, "DELETE", `/api/chat/conversations/${group.id}/members/${carl.userId}`)).status < 300, true);
    assert.equal(codeOf(await request(carlB, "chat:typing", { conversationId: group.id, isTyping: false })), "CONVERSATION_NOT_FOUND");
    assert.equal(codeOf(await send(carlB, group.id)), "CONVERSATION_NOT_FOUND");
  });

  it("a recipient whose last device leaves another replica is treated as offline by the next send at once", async () => {
    // Users of their own: the other tests leave their sockets open until the end.
    const [ann, finn] = (await makeUsers(services, 2)) as [TestUser, TestUser];
    const conversation = await direct(ann, finn);
    const annA = await connect(gatewayA.url, ann);
    const finnB = await connect(gatewayB.url, finn);
    const deliveries = async () =>
      (await platform.jobs.queue("events").getJobs(["waiting", "active", "completed", "delayed", "failed", "prioritized"])).filter(
        (job) => job.data.name === "chat.message-to-offline" && job.data.payload?.conversationId === conversation.id,
      );
    // Gateway A now remembers finn as connected.
    assert.equal(codeOf(await send(annA, conversation.id)), "ok");
    assert.equal(codeOf(await send(annA, conversation.id)), "ok");
    assert.equal((await deliveries()).length, 0, "finn is connected: nothing to tell him");
    // Gateway B announces finn's last device gone after removing it from the presence store; what
    // "at once" promises is the next send after that announcement (heard here on the same channel).
    const announced: string[] = [];
    platform.invalidations.subscribe((invalidation) => {
      if (invalidation !== "all") announced.push(...(invalidation.offline ?? []));
    });
    await platform.invalidations.ready();
    finnB.close();
    await waitFor(() => announced.includes(finn.userId), 10_000, "finn announced offline");
    assert.equal((await services.presence.onlineAmong([finn.userId])).has(finn.userId), false);
    assert.equal(codeOf(await send(annA, conversation.id)), "ok");
    await waitFor(async () => (await deliveries()).length === 1, 10_000, "the message announced to finn as offline");
    assert.deepEqual((await deliveries())[0]!.data.payload.recipientIds, [finn.userId]);
  });
});
