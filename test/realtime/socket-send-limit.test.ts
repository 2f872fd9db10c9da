import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startGateway, type Gateway } from "../../gateway/server.js";
import { loadConfig } from "../../shared/config/config.js";
import { createLogger } from "../../shared/logging/logger.js";
import { createPlatform, type Platform } from "../../shared/runtime/platform.js";
import { createServices, type Services } from "../../shared/runtime/services.js";
import { connectSocket, type ClientSocket } from "../helpers/sockets.js";
import { testEnv } from "../helpers/test-env.js";
import { createTestUser } from "../helpers/users.js";

describe("per-socket message budget", function () {
  this.timeout(30_000);
  let platform: Platform;
  let services: Services;
  let gateway: Gateway;
  const sockets: ClientSocket[] = [];

  before(async () => {
    const config = loadConfig({ ...process.env, SOCKET_MESSAGE_SEND_LIMIT: "5" });
    platform = await createPlatform(config, createLogger(config), testEnv.mongoUrl);
    services = createServices(platform);
    gateway = await startGateway(platform, services, 0);
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    await gateway.close();
    await platform.close();
  });

  it("refuses chat:send past SOCKET_MESSAGE_SEND_LIMIT with RATE_LIMITED and stores nothing for the refused sends", async () => {
    const [ann, ben] = await Promise.all([createTestUser(services), createTestUser(services)]);
    const direct = await services.chat.conversations.openDirect(ann, ben.userId);
    const socket = await connectSocket(`http://127.0.0.1:${gateway.port}`, ann.accessToken);
    sockets.push(socket);
    const acks = [];
    for (let i = 0; i < 8; i++) {
      acks.push(await socket.emitWithAck("chat:send", { conversationId: direct.id, clientMessageId: `limit-${randomUUID()}`, content: { type: "text", text: `hello ${i}` } }));
    }
    assert.equal(acks.filter((ack) => ack.ok).length, 5);
    const refused = acks.slice(5);
    assert.ok(refused.every((ack) => !ack.ok && ack.error.code === "RATE_LIMITED"), JSON.stringify(refused));
    const history = await services.chat.queries.history(ann, { conversationId: direct.id, limit: 50 });
    assert.equal(history.messages.length, 5, "only the accepted sends were stored");
    // Other events still have their own budget.
    assert.equal((await socket.emitWithAck("system:ping", {})).ok, true);
  });
});
