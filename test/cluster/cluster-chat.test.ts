import assert from "node:assert/strict";
import type { ChatMessage, ConversationView, SendResult } from "../../shared/chat/chat.types.js";
import { isCluster } from "../../shared/db/redis.js";
import { RateLimiter } from "../../shared/rate-limit/rate-limiter.js";
import { composeModules } from "../../shared/runtime/services.js";
import { startWorkers } from "../../workers/worker-host.js";
import { call, clientId, makeUsers } from "../chat/chat-fixtures.js";
import { waitFor } from "../helpers/ports.js";
import { spawnRole, type RoleProcess } from "../helpers/processes.js";
import { connectSocket, type ClientSocket } from "../helpers/sockets.js";
import type { TestUser } from "../helpers/users.js";
import { collect, data, request, startClusterRun, type ClusterRun } from "./cluster-fixture.js";

describe("on a Redis Cluster (3 masters, 3 replicas): chat, presence, rate limits, queues", function () {
  this.timeout(120_000);
  let run: ClusterRun;
  let gatewayA: RoleProcess;
  let gatewayB: RoleProcess;
  let api: RoleProcess;
  let ann: TestUser;
  let bob: TestUser;
  let direct: ConversationView;
  const sockets: ClientSocket[] = [];
  const connect = async (url: string, user: TestUser) => {
    const socket = await connectSocket(url, user.accessToken);
    sockets.push(socket);
    return socket;
  };

  before(async () => {
    run = await startClusterRun();
    [ann, bob] = (await makeUsers(run.services, 2)) as [TestUser, TestUser];
    [gatewayA, gatewayB, api] = await Promise.all([spawnRole("gateway"), spawnRole("gateway"), spawnRole("api")]);
    direct = (await call<{ conversation: ConversationView }>(api.url, ann.accessToken, "POST", "/api/chat/conversations", { type: "direct", userId: bob.userId })).body.conversation;
  });

  after(async () => {
    for (const socket of sockets) socket.close();
    await run?.close();
  });

  it("the platform's clients are Cluster clients", () => {
    assert.equal(isCluster(run.platform.redis), true);
    assert.equal(isCluster(run.platform.bullRedis), true);
  });

  it("delivers messages across two gateway processes through sharded pub/sub, in order, with unread counts", async () => {
    const annA = await connect(gatewayA.url, ann);
    const bobB = await connect(gatewayB.url, bob);
    const annB = await connect(gatewayB.url, ann);
    const inboxes = [bobB, annB].map((s) => collect<ChatMessage>(s, "chat:message"));
    const sent: SendResult[] = [];
    for (const text of ["one", "two", "three"]) {
      sent.push(data(await request(annA, "chat:send", { conversationId: direct.id, clientMessageId: clientId(), content: { type: "text", text } })));
    }
    await waitFor(() => inboxes.every((inbox) => inbox.length >= 3), 15_000, "both devices to receive three messages");
    for (const inbox of inboxes) assert.deepEqual(inbox.map((m) => m.id), sent.map((s) => s.id));
    const list = await call<{ items: ConversationView[] }>(api.url, bob.accessToken, "GET", "/api/chat/conversations?limit=25");
    assert.equal(list.status, 200);
    assert.equal(list.body.items.find((c) => c.id === direct.id)?.unreadCount, 3);
  });

  it("counts presence per device across replicas: online with a device on either, offline when the last leaves", async () => {
    const [carl] = (await makeUsers(run.services, 1)) as [TestUser];
    const presence = run.services.presence;
    assert.equal((await presence.onlineAmong([carl.userId])).size, 0);
    const onA = await connect(gatewayA.url, carl);
    const onB = await connect(gatewayB.url, carl);
    await waitFor(async () => (await presence.onlineAmong([carl.userId, ann.userId, bob.userId])).size === 3, 10_000, "carl, ann and bob online");
    onA.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await presence.onlineAmong([carl.userId])).has(carl.userId), true, "one device left");
    onB.close();
    await waitFor(async () => !(await presence.onlineAmong([carl.userId])).has(carl.userId), 10_000, "carl offline");
  });

  it("rate limits keys living on different shards, each to its own budget", async () => {
    const limiter = new RateLimiter(run.platform.redis);
    const rule = { limit: 3, windowSeconds: 60 };
    const keys = Array.from({ length: 12 }, (_, i) => `cluster-test:${Date.now()}:${i}`);
    for (const key of keys) {
      const decisions = [];
      for (let i = 0; i < 4; i++) decisions.push((await limiter.hit(key, rule)).allowed);
      assert.deepEqual(decisions, [true, true, true, false], key);
    }
  });

  it("runs BullMQ jobs under the hash-tagged prefix, and a deterministic id still runs once", async () => {
    const ran: string[] = [];
    const { jobs: runtime } = composeModules(run.platform);
    const host = await startWorkers(run.platform, runtime, 0, {
      handlers: {
        "maintenance.task": async (payload: { task: string }) => {
          ran.push(payload.task);
          return { ok: true };
        },
      },
    });
    try {
      const ids = await Promise.all([1, 2, 3].map((i) => run.platform.jobs.add("maintenance.task", { task: `t${i}` }, { jobId: `cluster-${i}` })));
      await run.platform.jobs.add("maintenance.task", { task: "t1" }, { jobId: "cluster-1" });
      await waitFor(() => ran.length >= 3, 20_000, "three jobs to run");
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.deepEqual([...ran].sort(), ["t1", "t2", "t3"]);
      for (const id of ids) assert.equal(await (await run.platform.jobs.queue("maintenance").getJob(id!))?.getState(), "completed");
    } finally {
      await host.close(2_000);
    }
  });
});
