import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import type { ChatChange, ChatMessage, SendResult, SyncConversationResult } from "../../shared/chat/chat.types.js";
import type { AckResponse } from "../../shared/realtime/events.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { waitFor } from "../helpers/ports.js";
import { spawnRole, type RoleProcess } from "../helpers/processes.js";
import { connectSocket, type ClientSocket } from "../helpers/sockets.js";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { collect, disconnected, refusal, SocketPool } from "./realtime-helpers.js";

const GAP_WINDOW_MS = 1_000;
const CAP = "2";

/** The scheduler state of a process ("T" while stopped by SIGSTOP). */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] ?? "";
}

function text(conversationId: string, body: string, clientMessageId = `c-${randomUUID()}`) {
  return { conversationId, clientMessageId, content: { type: "text" as const, text: body } };
}

function acked(ack: AckResponse<SendResult>): SendResult {
  if (!ack.ok) assert.fail(`send refused: ${ack.error.code} ${ack.error.message}`);
  return ack.data;
}

/** One sync call for one conversation. */
async function syncOnce(socket: ClientSocket, conversationId: string, seq: number): Promise<SyncConversationResult> {
  const ack = await socket.emitWithAck("chat:sync", { conversations: [{ conversationId, seq }], limit: 100 });
  if (!ack.ok) assert.fail(ack.error.code);
  return ack.data.conversations[0]!;
}

/** Syncs from `cursor` until nothing more and nothing pending, the way a reconnecting client does. */
async function syncAll(socket: ClientSocket, conversationId: string, cursor: number): Promise<{ changes: ChatChange[]; last: SyncConversationResult }> {
  const changes: ChatChange[] = [];
  let last: SyncConversationResult | undefined;
  await waitFor(async () => {
    last = await syncOnce(socket, conversationId, cursor);
    changes.push(...last.changes);
    cursor = last.cursor;
    return !last.hasMore && !last.pending;
  }, 20_000, "sync to settle");
  return { changes, last: last! };
}

/** The text messages among sync changes (system lines left out). */
const messagesOf = (changes: readonly ChatChange[]): ChatMessage[] => changes.flatMap((c) => (c.kind === "message" && c.message.type === "text" ? [c.message] : []));

describe("the delivery promise under stalls and crashes (real gateway processes)", function () {
  this.timeout(90_000);
  let platform: Platform;
  let services: Services;
  /** Stops itself once 7 message seqs are claimed and unwritten; later SIGKILLed while holding a user's sockets. */
  let stalling: RoleProcess | undefined;
  /** Kills itself between storing a message and pushing it. */
  let crashing: RoleProcess | undefined;
  let survivor: RoleProcess | undefined;
  const pool = new SocketPool();

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    const common = { CHAT_GAP_WINDOW_MS: String(GAP_WINDOW_MS), SOCKET_MAX_CONNECTIONS_PER_USER: CAP };
    [survivor, stalling, crashing] = await Promise.all([
      spawnRole("gateway", common),
      spawnRole("gateway", { ...common, TEST_STOP_AFTER_CLAIMS: "7" }),
      spawnRole("gateway", { ...common, TEST_CRASH_AFTER_STORE: "1" }),
    ]);
  });
  after(async () => {
    pool.closeAll();
    if (stalling?.child.exitCode === null && stalling.child.signalCode === null && processState(stalling.child.pid!) === "T") stalling.kill("SIGCONT");
    await Promise.all([survivor, stalling, crashing].map((p) => p?.stop()));
    await platform.close();
  });

  const users = async (n: number): Promise<TestUser[]> => Promise.all(Array.from({ length: n }, () => createTestUser(services)));

  it("a replica stalled past the gap window never lands an acknowledged message behind a cursor sync handed out", async () => {
    const [other, stalled] = [survivor!, stalling!];
    const [ann, bob, cat] = (await users(3)) as [TestUser, TestUser, TestUser];
    const conversationId = (await services.chat.groups.create(bob, { title: "Stall", memberIds: [ann.userId, cat.userId] })).id;
    const annStalling = await pool.connect(stalled.url, ann.accessToken);
    const bobSurvivor = await pool.connect(other.url, bob.accessToken);
    const catLive = await pool.connect(other.url, cat.accessToken);
    const pushes = collect<ChatMessage>(catLive, "chat:message");
    const pushed = () => pushes.filter((m) => m.type === "text");

    const sent: SendResult[] = [];
    for (let i = 0; i < 3; i++) sent.push(acked(await bobSurvivor.emitWithAck("chat:send", text(conversationId, `before ${i}`))));
    // Cat's other device syncs, then goes away.
    let catAway = await pool.connect(other.url, cat.accessToken);
    const first = await syncAll(catAway, conversationId, 0);
    catAway.close();

    // A burst on the stalling replica: all 7 seqs are claimed, none written, and the process is frozen.
    const burst = Array.from({ length: 7 }, (_, i) => annStalling.timeout(60_000).emitWithAck("chat:send", text(conversationId, `burst ${i}`)));
    await waitFor(() => processState(stalled.child.pid!) === "T", 10_000, "the replica to stop itself");
    const head = await services.chat.conversations.get(bob, conversationId);
    assert.ok(head.lastSeq >= first.last.cursor + 7, "the burst's seqs are claimed");

    // Meanwhile another replica stores a later message, and the away device syncs past the window.
    const later = acked(await bobSurvivor.emitWithAck("chat:send", text(conversationId, "during the stall")));
    await new Promise((resolve) => setTimeout(resolve, GAP_WINDOW_MS * 1.5));
    catAway = await pool.connect(other.url, cat.accessToken);
    const during = await syncAll(catAway, conversationId, first.last.cursor);
    assert.equal(during.last.cursor, later.seq, "the sync passed the stalled claims");
    assert.deepEqual(messagesOf(during.changes).map((m) => m.id), [later.id]);
    catAway.close();

    // The stalled replica resumes: its late writes find their seqs voided and take new ones before acknowledging.
    stalled.kill("SIGCONT");
    const burstAcks = (await Promise.all(burst)).map(acked);
    for (const ack of burstAcks) assert.ok(ack.seq > during.last.cursor, `message ${ack.id} acknowledged at ${ack.seq}, behind cursor ${during.last.cursor}`);
    sent.push(later, ...burstAcks);

    // The away device continues from its cursor and gets the burst; the live one got everything pushed.
    catAway = await pool.connect(other.url, cat.accessToken);
    const after = await syncAll(catAway, conversationId, during.last.cursor);
    assert.deepEqual(messagesOf(after.changes).map((m) => m.id).sort(), burstAcks.map((a) => a.id).sort());
    await waitFor(() => pushed().length >= sent.length, 10_000, "every message pushed to the live device");
    assert.deepEqual(new Set(pushed().map((m) => m.id)), new Set(sent.map((s) => s.id)));
    // A fresh sync shows each acknowledged message once, at its acknowledged seq, and no void.
    const all = messagesOf((await syncAll(catAway, conversationId, 0)).changes);
    assert.deepEqual(all.map((m) => [m.id, m.seq]), [...sent].sort((a, b) => a.seq - b.seq).map((s) => [s.id, s.seq]));
  });

  it("a message stored by a replica that died before pushing it reaches connected recipients when the sender retries elsewhere", async () => {
    const [other, dying] = [survivor!, crashing!];
    const [ann, bob, cat] = (await users(3)) as [TestUser, TestUser, TestUser];
    const conversationId = (await services.chat.groups.create(ann, { title: "Crash", memberIds: [bob.userId, cat.userId] })).id;
    const annCrashing = await pool.connect(dying.url, ann.accessToken);
    const recipients = await Promise.all([pool.connect(other.url, bob.accessToken), pool.connect(other.url, cat.accessToken)]);
    const inboxes = recipients.map((socket) => collect<ChatMessage>(socket, "chat:message"));
    let drops = 0;
    for (const socket of recipients) void disconnected(socket).then(() => drops++);
    // Bob's counter exists (a chat-list read made it), so a missed bump would show.
    const unread = async () => (await services.chat.conversations.list(bob, { limit: 50, archived: false })).items.find((c) => c.id === conversationId)?.unreadCount;
    const before = await unread();
    assert.equal(typeof before, "number");

    const message = text(conversationId, "stored, never pushed");
    await assert.rejects(annCrashing.timeout(5_000).emitWithAck("chat:send", message), "the replica dies before it acknowledges");
    assert.equal((await dying.exited).signal, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(inboxes.map((inbox) => inbox.length), [0, 0], "nothing was pushed before the crash");

    const annAgain = await pool.connect(other.url, ann.accessToken);
    const retry = acked(await annAgain.emitWithAck("chat:send", message));
    assert.equal(retry.duplicate, true, "the retry found the stored original");
    await waitFor(() => inboxes.every((inbox) => inbox.some((m) => m.id === retry.id)), 10_000, "the recipients to get the original by push");
    assert.ok(drops === 0 && recipients.every((socket) => socket.connected), "without reconnecting");
    assert.equal(await unread(), before! + 1, "the unread counter counts the message once");
  });

  it("devices of a SIGKILLed replica are admitted again under the connection cap: at once with their device ids, within seconds without", async () => {
    // The stalled replica of the first test, resumed by now, is the one that dies here.
    const [other, doomed] = [survivor!, stalling!];
    const [dan, eve] = (await users(2)) as [TestUser, TestUser];
    const devices = ["phone-1", "laptop-1"];
    await Promise.all(devices.map((deviceId) => pool.connect(doomed.url, dan.accessToken, deviceId)));
    // Eve's client presents no device id.
    await Promise.all([0, 1].map(() => pool.connect(doomed.url, eve.accessToken)));
    assert.equal(await refusal(connectSocket(other.url, dan.accessToken, { deviceId: "tablet-1" })), "TOO_MANY_CONNECTIONS", "the cap holds across replicas");

    doomed.kill("SIGKILL");
    await doomed.exited;
    const started = Date.now();
    const back = await Promise.all(devices.map((deviceId) => pool.connect(other.url, dan.accessToken, deviceId)));
    assert.ok(Date.now() - started < 5_000, "admitted at once, not after the dead replica's entries expired");
    assert.ok(back.every((socket) => socket.connected));
    // The cap still counts the live devices, and the device id is validated.
    assert.equal(await refusal(connectSocket(other.url, dan.accessToken, { deviceId: "tablet-1" })), "TOO_MANY_CONNECTIONS");
    assert.equal(await refusal(connectSocket(other.url, dan.accessToken)), "TOO_MANY_CONNECTIONS");
    assert.equal(await refusal(connectSocket(other.url, dan.accessToken, { deviceId: "not a device id!" })), "VALIDATION_FAILED");
    assert.equal(await refusal(connectSocket(other.url, dan.accessToken, { deviceId: "x".repeat(65) })), "VALIDATION_FAILED");
    assert.equal(await refusal(connectSocket(other.url, dan.accessToken, { deviceId: 42 })), "VALIDATION_FAILED");

    // Without device ids, the dead replica's entries stop counting once its liveness key expires
    // (5 s), not when its devices do (PRESENCE_TTL_SECONDS, 60 s here).
    const eveBack: ClientSocket[] = [];
    await waitFor(async () => {
      eveBack.push(await pool.connect(other.url, eve.accessToken));
      return eveBack.length === 2;
    }, 15_000, "eve's devices to be admitted again");
    assert.ok(Date.now() - started < 20_000, `admitted after ${Date.now() - started} ms`);
    assert.equal(await refusal(connectSocket(other.url, eve.accessToken)), "TOO_MANY_CONNECTIONS", "the live ones count");
  });
});
