import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { ChatChange, ChatMessage, SendResult } from "../../shared/chat/chat.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { waitFor } from "../helpers/ports.js";
import { spawnRole, type RoleProcess } from "../helpers/processes.js";
import type { ClientSocket } from "../helpers/sockets.js";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { collect, disconnected, SocketPool } from "./realtime-helpers.js";

/** Everything after `cursor`, the way a reconnecting client syncs: until nothing more and nothing pending. */
async function syncAll(socket: ClientSocket, conversationId: string, cursor: number): Promise<{ changes: ChatChange[]; cursor: number }> {
  const changes: ChatChange[] = [];
  await waitFor(async () => {
    const ack = await socket.emitWithAck("chat:sync", { conversations: [{ conversationId, seq: cursor }], limit: 100 });
    if (!ack.ok) throw new Error(ack.error.code);
    const result = ack.data.conversations[0]!;
    assert.equal(result.status, "ok");
    changes.push(...result.changes);
    cursor = result.cursor;
    return !result.hasMore && !result.pending;
  }, 20_000, "sync to settle");
  return { changes, cursor };
}

describe("a gateway replica killed with SIGKILL during a stream of sends", function () {
  this.timeout(90_000);
  let platform: Platform;
  let services: Services;
  let survivor: RoleProcess;
  let doomed: RoleProcess;
  const pool = new SocketPool();

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    [survivor, doomed] = await Promise.all([spawnRole("gateway"), spawnRole("gateway")]);
  });
  after(async () => {
    pool.closeAll();
    await Promise.all([survivor.stop(), doomed.stop()]);
    await platform.close();
  });

  it("loses no acknowledged message and shows none twice after the clients reconnect elsewhere and sync", async () => {
    const [alice, bob, carol] = (await Promise.all([0, 1, 2].map(() => createTestUser(services)))) as [TestUser, TestUser, TestUser];
    const conversationId = (await services.chat.groups.create(alice, { title: "Failover", memberIds: [bob.userId, carol.userId] })).id;

    // Alice sends from the surviving replica; Bob reads and Carol sends on the one that dies.
    const aliceSocket = await pool.connect(survivor.url, alice.accessToken);
    const bobSocket = await pool.connect(doomed.url, bob.accessToken);
    const carolSocket = await pool.connect(doomed.url, carol.accessToken);
    const start = await syncAll(bobSocket, conversationId, 0);
    const live = collect<ChatMessage>(bobSocket, "chat:message");

    const acked = new Map<string, SendResult>();
    const unacked: Array<{ clientMessageId: string; text: string }> = [];
    let killed = false;
    const bobGone = disconnected(bobSocket);

    const aliceStream = (async () => {
      for (let i = 0; i < 60; i++) {
        const clientMessageId = `alice-${i}-${randomUUID()}`;
        const ack = await aliceSocket.timeout(10_000).emitWithAck("chat:send", { conversationId, clientMessageId, content: { type: "text", text: `alice ${i}` } });
        assert.ok(ack.ok, `alice's send ${i} failed: ${JSON.stringify(ack)}`);
        acked.set(clientMessageId, ack.data);
        if (i === 20) {
          doomed.kill("SIGKILL");
          killed = true;
        }
      }
    })();
    const carolStream = (async () => {
      for (let i = 0; ; i++) {
        const clientMessageId = `carol-${i}-${randomUUID()}`;
        const text = `carol ${i}`;
        try {
          const ack = await carolSocket.timeout(2_000).emitWithAck("chat:send", { conversationId, clientMessageId, content: { type: "text", text } });
          assert.ok(ack.ok, `carol's send ${i} failed: ${JSON.stringify(ack)}`);
          acked.set(clientMessageId, ack.data);
        } catch (error) {
          if (!killed) throw error;
          // No acknowledgement: the message may or may not be stored. The client keeps it to retry.
          unacked.push({ clientMessageId, text });
          return;
        }
      }
    })();
    await Promise.all([aliceStream, carolStream]);
    await bobGone;

    // Carol reconnects to the surviving replica and retries what was not acknowledged, with the same ids.
    const carolAgain = await pool.connect(survivor.url, carol.accessToken);
    for (const { clientMessageId, text } of unacked) {
      const ack = await carolAgain.emitWithAck("chat:send", { conversationId, clientMessageId, content: { type: "text", text } });
      assert.ok(ack.ok);
      acked.set(clientMessageId, ack.data);
    }
    assert.ok(unacked.length >= 1, "the kill interrupted a send on the dead replica");

    // Bob reconnects to the surviving replica and syncs from the cursor of his last sync.
    const bobAgain = await pool.connect(survivor.url, bob.accessToken);
    const { changes } = await syncAll(bobAgain, conversationId, start.cursor);
    const messages = changes.flatMap((change) => (change.kind === "message" ? [change.message] : []));
    const seqs = messages.map((m) => m.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "in seq order");
    assert.equal(new Set(seqs).size, seqs.length, "no seq twice");
    assert.equal(new Set(messages.map((m) => m.clientMessageId)).size, messages.length, "no message stored twice");
    const byClientId = new Map(messages.map((m) => [m.clientMessageId, m]));
    for (const [clientMessageId, ack] of acked) {
      const stored = byClientId.get(clientMessageId);
      assert.ok(stored, `acknowledged message ${clientMessageId} is missing`);
      assert.equal(stored.id, ack.id);
      assert.equal(stored.seq, ack.seq);
    }
    // Whatever Bob saw live before the kill is part of the same stream, never a different copy.
    for (const message of live) assert.equal(byClientId.get(message.clientMessageId)?.id, message.id);
    assert.equal(messages.length, acked.size, "only acknowledged (or retried) messages exist");
  });
});
