import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { ChatMessage } from "../../shared/chat/chat.types.js";
import { loadConfig } from "../../shared/config/config.js";
import { createLogger } from "../../shared/logging/logger.js";
import { createPlatform, type Platform } from "../../shared/runtime/platform.js";
import { createServices, type Services } from "../../shared/runtime/services.js";
import { waitFor } from "../helpers/ports.js";
import { spawnRole, type RoleProcess } from "../helpers/processes.js";
import { TestRedisServer } from "../helpers/redis-server.js";
import type { ClientSocket } from "../helpers/sockets.js";
import { testEnv } from "../helpers/test-env.js";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { collect, SocketPool } from "./realtime-helpers.js";

describe("Redis restarted mid-session (empty, like a failover without persistence)", function () {
  this.timeout(90_000);
  let redis: TestRedisServer;
  let platform: Platform;
  let services: Services;
  let roles: RoleProcess[] = [];
  const pool = new SocketPool();

  before(async () => {
    redis = await TestRedisServer.start();
    const env = { REDIS_URL: redis.url, PRESENCE_TTL_SECONDS: "3" };
    const config = loadConfig({ ...process.env, ...env });
    platform = await createPlatform(config, createLogger(config).child({ role: "test" }), testEnv.mongoUrl);
    services = createServices(platform);
    roles = await Promise.all([spawnRole("gateway", env), spawnRole("gateway", env), spawnRole("api", env)]);
  });
  after(async () => {
    pool.closeAll();
    await Promise.all(roles.map((role) => role.stop()));
    await platform.close();
    await redis.stop();
  });

  /** Sends until one is acknowledged (sends fail while Redis is away), returning its client id. */
  async function sendOnce(socket: ClientSocket, conversationId: string, text: string): Promise<string> {
    let sent = "";
    await waitFor(async () => {
      const clientMessageId = `m-${randomUUID()}`;
      const ack = await socket.timeout(3_000).emitWithAck("chat:send", { conversationId, clientMessageId, content: { type: "text", text } });
      if (ack.ok) sent = clientMessageId;
      return ack.ok;
    }, 20_000, "a send to be acknowledged");
    return sent;
  }

  it("no role crashes, sockets stay up, live delivery across replicas resumes and presence is rebuilt", async () => {
    const [alice, bob] = (await Promise.all([createTestUser(services), createTestUser(services)])) as [TestUser, TestUser];
    const conversationId = (await services.chat.conversations.openDirect(alice, bob.userId)).id;
    const sender = await pool.connect(roles[0]!.url, alice.accessToken);
    const reader = await pool.connect(roles[1]!.url, bob.accessToken);
    const live = collect<ChatMessage>(reader, "chat:message");
    const before = await sendOnce(sender, conversationId, "before the restart");
    await waitFor(() => live.some((m) => m.clientMessageId === before), 10_000, "delivery before the restart");

    await redis.stop();
    await redis.restart();

    // Live delivery resumes once the adapters have resubscribed: keep sending until Bob receives one live.
    await waitFor(async () => {
      const id = await sendOnce(sender, conversationId, "after the restart");
      try {
        await waitFor(() => live.some((m) => m.clientMessageId === id), 1_000, "live delivery");
        return true;
      } catch {
        return false;
      }
    }, 30_000, "live delivery after the restart");

    // The heartbeats put both devices back into the emptied registry.
    await waitFor(async () => {
      const { presences } = await services.presence.watch(alice.userId, [alice.userId, bob.userId]);
      return presences.length === 2 && presences.every((p) => p.online);
    }, 15_000, "presence rebuilt");
    assert.ok(sender.connected && reader.connected, "client sockets survived");
    for (const role of roles) assert.equal(role.child.exitCode, null, `${role.role} exited:\n${role.output()}`);
    const ready = await fetch(`${roles[2]!.url}/readyz`);
    assert.equal(ready.status, 200);
  });
});
