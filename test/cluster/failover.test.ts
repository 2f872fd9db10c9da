import assert from "node:assert/strict";
import type { ChatMessage, ConversationView, SendResult, SyncResult } from "../../shared/chat/chat.types.js";
import { userRoom } from "../../shared/realtime/rooms.js";
import { call, clientId, makeUsers } from "../chat/chat-fixtures.js";
import { waitFor } from "../helpers/ports.js";
import { spawnRole, type RoleProcess } from "../helpers/processes.js";
import { connectSocket, type ClientSocket } from "../helpers/sockets.js";
import { testEnv } from "../helpers/test-env.js";
import type { TestUser } from "../helpers/users.js";
import { collect, request, startClusterRun, type ClusterRun } from "./cluster-fixture.js";

/**
 * Kills the Redis master serving the recipient's room channel while messages
 * flow between two gateway processes. The replica is promoted; every message
 * acknowledged to the sender is stored (a sync returns it), and pushes reach
 * the recipient again once the cluster is healthy.
 */
describe("Redis Cluster master failover mid-traffic", function () {
  this.timeout(180_000);
  let run: ClusterRun;
  let gatewayA: RoleProcess;
  let gatewayB: RoleProcess;
  let ann: TestUser;
  let bob: TestUser;
  let direct: ConversationView;
  const sockets: ClientSocket[] = [];

  before(async () => {
    run = await startClusterRun();
    [ann, bob] = (await makeUsers(run.services, 2)) as [TestUser, TestUser];
    let api: RoleProcess;
    [gatewayA, gatewayB, api] = await Promise.all([spawnRole("gateway"), spawnRole("gateway"), spawnRole("api")]);
    direct = (await call<{ conversation: ConversationView }>(api.url, ann.accessToken, "POST", "/api/chat/conversations", { type: "direct", userId: bob.userId })).body.conversation;
    await api.stop();
  });

  after(async () => {
    for (const socket of sockets) socket.close();
    await run?.close();
  });

  /** Sends with the client's rule: on an error or a missing ack, retry with the same clientMessageId. */
  async function sendReliably(socket: ClientSocket, text: string): Promise<SendResult> {
    const payload = { conversationId: direct.id, clientMessageId: clientId(), content: { type: "text", text } };
    for (let attempt = 0; attempt < 60; attempt++) {
      try {
        const ack = await request(socket, "chat:send", payload, 5_000);
        if (ack.ok) return ack.data;
      } catch {
        // no ack: retry
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`"${text}" was never acknowledged`);
  }

  it("loses no acknowledged message and resumes delivery after the replica is promoted", async () => {
    const annA = await connectSocket(gatewayA.url, ann.accessToken);
    const bobB = await connectSocket(gatewayB.url, bob.accessToken);
    sockets.push(annA, bobB);
    const inbox = collect<ChatMessage>(bobB, "chat:message");
    const channel = `${testEnv.redisPrefix}sio#/#${userRoom(bob.userId)}#`;
    const victim = await run.cluster.masterOf(channel);
    const mastersBefore = await run.cluster.masters();

    const acked: SendResult[] = [];
    let stop = false;
    const traffic = (async () => {
      for (let i = 0; !stop; i++) {
        acked.push(await sendReliably(annA, `m${i}`));
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();

    await waitFor(() => inbox.length >= 10, 20_000, "traffic to flow before the kill");
    await run.cluster.kill(victim);
    const killedAt = Date.now();
    // Right after the kill the others still call the cluster ok: wait for the promotion itself.
    await waitFor(async () => (await run.cluster.masters()).length === 3, 60_000, "a replica to be promoted");
    await run.cluster.waitHealthy(60_000);
    const masters = await run.cluster.masters();
    assert.equal(masters.length, 3, `three masters again (was ${mastersBefore.join(",")}, now ${masters.join(",")})`);
    assert.ok(!masters.includes(victim));
    const promotedIn = Date.now() - killedAt;

    // Delivery resumes: messages acknowledged from now on reach bob by push.
    const resumeFrom = acked.length;
    await waitFor(() => acked.length >= resumeFrom + 10, 60_000, "ten more sends to be acknowledged");
    const later = acked.slice(resumeFrom + 5, resumeFrom + 10).map((a) => a.id);
    await waitFor(() => later.every((id) => inbox.some((m) => m.id === id)), 30_000, "pushes after the failover to reach bob");
    stop = true;
    await traffic;

    // No acknowledged message lost: a sync from the start returns every one, once, at its seq.
    const synced: Array<{ id: string; seq: number }> = [];
    let cursor = 0;
    for (let round = 0; round < 100; round++) {
      const ack = await request(bobB, "chat:sync", { conversations: [{ conversationId: direct.id, seq: cursor }], limit: 500 });
      assert.ok(ack.ok, JSON.stringify(ack));
      const result = (ack.data as SyncResult).conversations[0]!;
      for (const change of result.changes) if (change.kind === "message") synced.push({ id: change.message.id, seq: change.seq });
      const done = !result.hasMore && !result.pending;
      cursor = result.cursor;
      if (done) break;
      if (result.pending) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const byId = new Map(synced.map((m) => [m.id, m.seq]));
    const missing = acked.filter((a) => byId.get(a.id) !== a.seq);
    assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged messages missing from sync`);
    assert.equal(new Set(acked.map((a) => a.id)).size, acked.length, "no message acknowledged twice under two ids");
    console.log(`      failover: ${acked.length} messages acknowledged, replica promoted and cluster ok in ${promotedIn} ms`);
  });
});
