import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { AccessTokens } from "../../shared/auth/access-token.js";
import { loadConfig } from "../../shared/config/config.js";
import { createLogger } from "../../shared/logging/logger.js";
import { RealtimePublisher } from "../../shared/realtime/publisher.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { createTestUser } from "../helpers/users.js";
import { spawnRole, type RoleProcess } from "../helpers/processes.js";
import { connectSocket, nextEvent, type ClientSocket } from "../helpers/sockets.js";
import { testEnv } from "../helpers/test-env.js";

describe("gateway wiring across replicas", function () {
  this.timeout(60_000);
  const config = loadConfig();
  const tokens = new AccessTokens(config);
  let gateways: RoleProcess[] = [];
  let publisher: RealtimePublisher;
  const sockets: ClientSocket[] = [];
  let platform: Platform;
  let services: Services;
  const newUser = () => createTestUser(services);
  /** A fresh user's access token (a real session). */
  const token = async (): Promise<string> => (await newUser()).accessToken;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    gateways = await Promise.all([spawnRole("gateway"), spawnRole("gateway")]);
    publisher = RealtimePublisher.create(testEnv.redisUrl, testEnv.redisPrefix, createLogger(config));
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close();
  });
  after(async () => {
    await publisher.close();
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await platform.close();
  });

  it("listens with an accept queue of GATEWAY_LISTEN_BACKLOG (4096), capped only by net.core.somaxconn", () => {
    const somaxconn = Number(readFileSync("/proc/sys/net/core/somaxconn", "utf8").trim());
    // For a listening socket, `ss` shows the backlog in the Send-Q column.
    const line = execFileSync("ss", ["-ltnH", `sport = :${gateways[0]!.port}`], { encoding: "utf8" }).trim();
    const backlog = Number(line.split(/\s+/)[2]);
    assert.equal(backlog, Math.min(4096, somaxconn), line);
  });

  it("a push through the publisher reaches every socket of the user, on both replicas, and no one else", async () => {
    const { userId, accessToken } = await newUser();
    const [a, b, other] = await Promise.all([
      connectSocket(gateways[0]!.url, accessToken),
      connectSocket(gateways[1]!.url, accessToken),
      connectSocket(gateways[1]!.url, await token()),
    ]);
    sockets.push(a, b, other);
    let otherGotIt = false;
    other.on("system:notice", () => (otherGotIt = true));
    // The adapter subscribes to a room's channel asynchronously after join.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const received = Promise.all([nextEvent(a, "system:notice"), nextEvent(b, "system:notice")]);
    publisher.toUser(userId, "system:notice", { message: "hello from the API" });
    assert.deepEqual(await received, [{ message: "hello from the API" }, { message: "hello from the API" }]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(otherGotIt, false);
  });

  it("answers client events through their acknowledgement, with a typed error for bad payloads", async () => {
    const socket = await connectSocket(gateways[0]!.url, await token());
    sockets.push(socket);
    const ok = await socket.emitWithAck("system:ping", {});
    assert.equal(ok.ok, true);
    const bad = await socket.emitWithAck("system:ping", { $where: "1" } as never);
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.error.code, "VALIDATION_FAILED");
    const wrongType = await socket.emitWithAck("system:ping", "hello" as never);
    assert.equal(!wrongType.ok && wrongType.error.code, "VALIDATION_FAILED");
  });

  it("rejects handshakes without a token, with an expired or forged one, and from origins not allowed", async () => {
    const url = gateways[0]!.url;
    await assert.rejects(connectSocket(url, ""), (error: Error & { data?: { code: string } }) => error.data?.code === "UNAUTHENTICATED");
    const user = await newUser();
    const expired = await tokens.sign({ userId: user.userId, sessionId: user.sessionId, roles: [] }, -10);
    await assert.rejects(connectSocket(url, expired), (error: Error & { data?: { code: string } }) => error.data?.code === "TOKEN_EXPIRED");
    const unknownSession = await tokens.sign({ userId: user.userId, sessionId: randomUUID(), roles: [] });
    await assert.rejects(connectSocket(url, unknownSession), (error: Error & { data?: { code: string } }) => error.data !== undefined);
    const forged = await new AccessTokens({ ...config, JWT_SECRET: "f".repeat(40) }).sign({ userId: randomUUID(), sessionId: randomUUID(), roles: ["admin"] });
    await assert.rejects(connectSocket(url, forged), (error: Error & { data?: { code: string } }) => error.data?.code === "UNAUTHENTICATED");
    const wrongAudience = await new AccessTokens({ ...config, JWT_AUDIENCE: "someone-else" }).sign({ userId: randomUUID(), sessionId: randomUUID(), roles: [] });
    await assert.rejects(connectSocket(url, wrongAudience), (error: Error & { data?: { code: string } }) => error.data?.code === "UNAUTHENTICATED");
    await assert.rejects(connectSocket(url, await token(), { origin: "http://evil.test" }));
    const allowed = await connectSocket(url, await token(), { origin: "http://allowed.test" });
    sockets.push(allowed);
    assert.ok(allowed.connected);
  });

  it("drops a socket that sends more than the payload cap", async () => {
    const socket = await connectSocket(gateways[0]!.url, await token());
    sockets.push(socket);
    const disconnected = new Promise<string>((resolve) => socket.once("disconnect", (reason) => resolve(reason)));
    socket.emit("system:ping", { blob: "x".repeat(70 * 1024) } as never, () => undefined);
    assert.equal(await disconnected, "transport close");
  });

  it("refuses events beyond the per-socket budget with RATE_LIMITED", async () => {
    const socket = await connectSocket(gateways[1]!.url, await token());
    sockets.push(socket);
    const results = await Promise.all(Array.from({ length: 320 }, () => socket.emitWithAck("system:ping", {})));
    const limited = results.filter((result) => !result.ok && result.error.code === "RATE_LIMITED");
    assert.ok(limited.length >= 20, `expected refusals past the budget, got ${limited.length}`);
    assert.equal(results.filter((result) => result.ok).length, 300);
  });
});
