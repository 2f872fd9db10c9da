import assert from "node:assert/strict";
import type { ChatMessage, ConversationView, ReceiptEvent, SendResult, SyncResult } from "../../shared/chat/chat.types.js";
import type { AckResponse, ClientToServerEvents } from "../../shared/runtime/socket-events.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { waitFor } from "../helpers/ports.js";
import { spawnRole, stopAllRoles, type RoleProcess } from "../helpers/processes.js";
import { connectSocket, nextEvent, type ClientSocket } from "../helpers/sockets.js";
import type { TestUser } from "../helpers/users.js";
import { call, clientId, makeUsers } from "./chat-fixtures.js";

type EventName = keyof ClientToServerEvents;
type AckOf<E extends EventName> = Parameters<ClientToServerEvents[E]>[1] extends (r: infer R) => void ? R : never;

/** Emits a client event and resolves with its acknowledgement. */
function request<E extends EventName>(socket: ClientSocket, event: E, payload: unknown): Promise<AckOf<E>> {
  return new Promise((resolve) => (socket.emit as (e: string, p: unknown, ack: (r: unknown) => void) => void)(event, payload, (r) => resolve(r as AckOf<E>)));
}

function data<T>(ack: AckResponse<T>): T {
  if (!ack.ok) assert.fail(`expected success, got ${ack.error.code}: ${ack.error.message}`);
  return ack.data;
}

/** Everything `socket` receives of `event`, as it arrives. */
function collect<T>(socket: ClientSocket, event: string): T[] {
  const seen: T[] = [];
  (socket as unknown as { on(e: string, l: (p: T) => void): void }).on(event, (payload) => seen.push(payload));
  return seen;
}

describe("chat across two gateway replicas and an API process", function () {
  this.timeout(60_000);
  let platform: Platform;
  let services: Services;
  let gatewayA: RoleProcess;
  let gatewayB: RoleProcess;
  let api: RoleProcess;
  let ann: TestUser;
  let bob: TestUser;
  let carl: TestUser;
  const sockets: ClientSocket[] = [];
  let direct: ConversationView;

  const connect = async (url: string, user: TestUser) => {
    const socket = await connectSocket(url, user.accessToken);
    sockets.push(socket);
    return socket;
  };

  before(async function () {
    ({ platform, services } = await createTestPlatform());
    [ann, bob, carl] = (await makeUsers(services, 3)) as [TestUser, TestUser, TestUser];
    [gatewayA, gatewayB, api] = await Promise.all([spawnRole("gateway"), spawnRole("gateway"), spawnRole("api")]);
    direct = (await call<{ conversation: ConversationView }>(api.url, ann.accessToken, "POST", "/api/chat/conversations", { type: "direct", userId: bob.userId })).body.conversation;
  });

  after(async () => {
    for (const socket of sockets) socket.close();
    await stopAllRoles();
    await platform.close();
  });

  it("delivers a socket send to every device of every participant, on both replicas, once and in order", async () => {
    const annA = await connect(gatewayA.url, ann);
    const annB = await connect(gatewayB.url, ann);
    const bobA = await connect(gatewayA.url, bob);
    const bobB = await connect(gatewayB.url, bob);
    const devices = [annA, annB, bobA, bobB];
    const inboxes = devices.map((s) => collect<ChatMessage>(s, "chat:message"));
    const sent: SendResult[] = [];
    for (const text of ["first", "second", "third"]) {
      sent.push(data(await request(annA, "chat:send", { conversationId: direct.id, clientMessageId: clientId(), content: { type: "text", text } })));
    }
    await waitFor(() => inboxes.every((inbox) => inbox.length >= 3), 10_000, "every device to receive three messages");
    for (const inbox of inboxes) {
      assert.deepEqual(inbox.map((m) => m.id), sent.map((s) => s.id));
      assert.deepEqual(inbox.map((m) => m.content?.type === "text" && m.content.text), ["first", "second", "third"]);
    }
  });

  it("delivers a message sent over REST to the sockets", async () => {
    const bobB = await connect(gatewayB.url, bob);
    const annA = await connect(gatewayA.url, ann);
    const [toBob, toAnn] = [nextEvent<ChatMessage>(bobB, "chat:message"), nextEvent<ChatMessage>(annA, "chat:message")];
    const res = await call<SendResult>(api.url, ann.accessToken, "POST", `/api/chat/conversations/${direct.id}/messages`, {
      clientMessageId: clientId(),
      content: { type: "location", location: { latitude: 48.85, longitude: 2.35, name: "Paris" } },
    });
    assert.equal(res.status, 201);
    const [a, b] = await Promise.all([toBob, toAnn]);
    assert.equal(a.id, res.body.id);
    assert.equal(b.id, res.body.id);
    assert.deepEqual(a.content, { type: "location", location: { latitude: 48.85, longitude: 2.35, name: "Paris" } });
  });

  it("answers a retried send with the original, stores it once and pushes only the original again", async () => {
    const annA = await connect(gatewayA.url, ann);
    const bobB = await connect(gatewayB.url, bob);
    const inbox = collect<ChatMessage>(bobB, "chat:message");
    const payload = { conversationId: direct.id, clientMessageId: clientId(), content: { type: "text", text: "retry-safe" } };
    const first = data(await request(annA, "chat:send", payload));
    // The retry goes through the other replica, as after a reconnect.
    const annB = await connect(gatewayB.url, ann);
    const retry = data(await request(annB, "chat:send", payload));
    assert.equal(retry.id, first.id);
    assert.equal(retry.seq, first.seq);
    assert.equal(retry.duplicate, true);
    const marker = data(await request(annA, "chat:send", { conversationId: direct.id, clientMessageId: clientId(), content: { type: "text", text: "marker" } }));
    await waitFor(() => inbox.some((m) => m.id === marker.id), 10_000, "the marker message");
    // A retry found in the store is pushed again (its first attempt may have died before pushing): same id, same seq.
    const copies = inbox.filter((m) => m.clientMessageId === payload.clientMessageId);
    assert.ok(copies.length >= 1 && copies.every((m) => m.id === first.id && m.seq === first.seq), JSON.stringify(copies));
  });

  it("pushes delivered and read receipts to the sender on the other replica", async () => {
    const annA = await connect(gatewayA.url, ann);
    const bobB = await connect(gatewayB.url, bob);
    const receipts = collect<ReceiptEvent>(annA, "chat:receipt");
    const incoming = nextEvent<ChatMessage>(bobB, "chat:message");
    const sent = data(await request(annA, "chat:send", { conversationId: direct.id, clientMessageId: clientId(), content: { type: "text", text: "read me" } }));
    const received = await incoming;
    const delivered = data(await request(bobB, "chat:delivered", { conversationId: direct.id, seq: received.seq }));
    assert.equal(delivered.lastDeliveredSeq, sent.seq);
    const read = data(await request(bobB, "chat:read", { conversationId: direct.id, seq: received.seq }));
    assert.equal(read.lastReadSeq, sent.seq);
    assert.equal(read.unreadCount, 0);
    await waitFor(() => receipts.some((r) => r.kind === "read" && r.seq === sent.seq), 10_000, "the read receipt");
    assert.ok(receipts.some((r) => r.kind === "delivered" && r.seq === sent.seq && r.userId === bob.userId));
    assert.ok(receipts.every((r) => r.conversationId === direct.id && r.userId === bob.userId));
  });

  it("lets an offline recipient sync everything it missed, in order, with the receipts", async () => {
    const conversation = (await call<{ conversation: ConversationView }>(api.url, ann.accessToken, "POST", "/api/chat/conversations", { type: "direct", userId: carl.userId })).body.conversation;
    const annA = await connect(gatewayA.url, ann);
    const sent: SendResult[] = [];
    for (let i = 0; i < 6; i++) {
      sent.push(data(await request(annA, "chat:send", { conversationId: conversation.id, clientMessageId: clientId(), content: { type: "text", text: `offline ${i}` } })));
    }
    data(await request(annA, "chat:edit", { conversationId: conversation.id, messageId: sent[0]!.id, text: "offline 0 (edited)" }));
    data(await request(annA, "chat:react", { conversationId: conversation.id, messageId: sent[1]!.id, emoji: "😮" }));
    data(await request(annA, "chat:delete", { conversationId: conversation.id, messageId: sent[2]!.id, scope: "everyone" }));

    const carlB = await connect(gatewayB.url, carl);
    const list = data(await request(carlB, "chat:conversations", {}));
    const summary = list.items.find((c) => c.id === conversation.id);
    assert.equal(summary?.unreadCount, 5); // six sent, one deleted for everyone
    let cursor = 0;
    const changes: SyncResult["conversations"][number]["changes"] = [];
    const receipts = new Set<string>();
    for (let round = 0; round < 10; round++) {
      const result = data(await request(carlB, "chat:sync", { conversations: [{ conversationId: conversation.id, seq: cursor }], limit: 4 })).conversations[0]!;
      changes.push(...result.changes);
      for (const r of result.receipts) receipts.add(r.userId);
      cursor = result.cursor;
      if (!result.hasMore && !result.pending) break;
    }
    const messages = changes.filter((c) => c.kind === "message");
    assert.deepEqual(messages.map((c) => c.kind === "message" && c.message.id), sent.map((s) => s.id));
    assert.deepEqual(changes.filter((c) => c.kind !== "message").map((c) => c.kind), ["edited", "reaction", "deleted"]);
    assert.deepEqual(changes.map((c) => c.seq), [...changes.map((c) => c.seq)].sort((a, b) => a - b));
    assert.equal(cursor, summary?.lastSeq);
    assert.deepEqual([...receipts].sort(), [ann.userId, carl.userId].sort());
  });

  it("refuses bad payloads and other users' conversations on every chat event, with a typed error", async () => {
    const carlA = await connect(gatewayA.url, carl);
    const m = { conversationId: direct.id, messageId: direct.id };
    const cases: Array<[EventName, unknown, string]> = [
      ["chat:send", { conversationId: direct.id, clientMessageId: clientId(), content: { type: "text", text: "intrude" } }, "CONVERSATION_NOT_FOUND"],
      ["chat:send", { conversationId: direct.id, clientMessageId: clientId(), content: { type: "system", system: { event: "group_created", actorId: carl.userId } } }, "VALIDATION_FAILED"],
      ["chat:send", { conversationId: direct.id, clientMessageId: clientId(), content: { type: "image", media: { mediaId: "javascript:alert(1)" } } }, "VALIDATION_FAILED"],
      ["chat:send", { conversationId: direct.id, clientMessageId: clientId(), content: { type: "text", text: "x".repeat(5000) } }, "VALIDATION_FAILED"],
      ["chat:send", { conversationId: { $ne: null }, clientMessageId: clientId(), content: { type: "text", text: "inject" } }, "VALIDATION_FAILED"],
      ["chat:send", { conversationId: direct.id, clientMessageId: clientId(), content: { type: "text", text: "x", $where: "1" } }, "VALIDATION_FAILED"],
      ["chat:send", "not an object", "VALIDATION_FAILED"],
      ["chat:edit", { ...m, text: "x" }, "CONVERSATION_NOT_FOUND"],
      ["chat:edit", { ...m, text: "" }, "VALIDATION_FAILED"],
      ["chat:delete", { ...m, scope: "everyone" }, "CONVERSATION_NOT_FOUND"],
      ["chat:delete", { ...m, scope: "all" }, "VALIDATION_FAILED"],
      ["chat:react", { ...m, emoji: "👍" }, "CONVERSATION_NOT_FOUND"],
      ["chat:react", { ...m, emoji: "🤡" }, "VALIDATION_FAILED"],
      ["chat:delivered", { conversationId: direct.id, seq: 1 }, "CONVERSATION_NOT_FOUND"],
      ["chat:delivered", { conversationId: direct.id, seq: -1 }, "VALIDATION_FAILED"],
      ["chat:read", { conversationId: direct.id, seq: 1 }, "CONVERSATION_NOT_FOUND"],
      ["chat:read", { conversationId: direct.id, seq: "1" }, "VALIDATION_FAILED"],
      ["chat:sync", { conversations: [] }, "VALIDATION_FAILED"],
      ["chat:sync", { conversations: [{ conversationId: direct.id, seq: 0 }], limit: 100_000 }, "VALIDATION_FAILED"],
      ["chat:history", { conversationId: direct.id }, "CONVERSATION_NOT_FOUND"],
      ["chat:history", { conversationId: direct.id, limit: 500 }, "VALIDATION_FAILED"],
      ["chat:conversations", { limit: 0 }, "VALIDATION_FAILED"],
    ];
    for (const [event, payload, code] of cases) {
      const ack = await request(carlA, event, payload);
      assert.equal(ack.ok, false, `${event} ${JSON.stringify(payload).slice(0, 80)} should fail`);
      if (!ack.ok) assert.equal(ack.error.code, code, `${event} ${JSON.stringify(payload).slice(0, 80)}`);
    }
    const sync = data(await request(carlA, "chat:sync", { conversations: [{ conversationId: direct.id, seq: 0 }] }));
    assert.equal(sync.conversations[0]?.status, "not_found");
    assert.deepEqual(sync.conversations[0]?.changes, []);
    // Nothing was written by the refused events: Ann's history has no message from Carl.
    const history = await services.chat.queries.history(ann, { conversationId: direct.id, limit: 50 });
    assert.ok(!history.messages.some((msg) => msg.senderId === carl.userId));
  });
});
