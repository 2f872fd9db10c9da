import assert from "node:assert/strict";
import { startGateway, type Gateway } from "../../gateway/server.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { connectSocket, nextEvent, type ClientSocket } from "../helpers/sockets.js";
import { createTestUser, type TestUser } from "../helpers/users.js";

describe("socket lifetime follows the access token", function () {
  this.timeout(30_000);
  let platform: Platform;
  let services: Services;
  let gateway: Gateway;
  let url: string;
  const sockets: ClientSocket[] = [];

  /** An access token of the user's session that expires in `seconds`. */
  const tokenFor = (user: TestUser, seconds: number) =>
    services.tokens.sign({ userId: user.userId, sessionId: user.sessionId, roles: ["user"] }, seconds);

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    gateway = await startGateway(platform, services, 0);
    url = `http://127.0.0.1:${gateway.port}`;
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close();
  });
  after(async () => {
    await gateway.close();
    await platform.close();
  });

  it("warns before expiry, then says so and disconnects a socket whose token expired", async () => {
    const user = await createTestUser(services);
    const socket = await connectSocket(url, await tokenFor(user, 2));
    sockets.push(socket);
    const expiring = await nextEvent<{ expiresInMs: number }>(socket, "auth:expiring", 1_000).catch(() => undefined);
    // The warning may have arrived before the listener; the expiry is what matters.
    if (expiring) assert.ok(expiring.expiresInMs <= 2_000);
    const expired = nextEvent<{ expiredAt: string }>(socket, "auth:expired", 5_000);
    const reason = new Promise<string>((resolve) => socket.once("disconnect", resolve));
    assert.ok(Date.parse((await expired).expiredAt) > 0);
    assert.equal(await reason, "io server disconnect");
  });

  it("keeps a socket that refreshes with a new token of the same user", async () => {
    const user = await createTestUser(services);
    const socket = await connectSocket(url, await tokenFor(user, 2));
    sockets.push(socket);
    let expired = false;
    socket.on("auth:expired", () => (expired = true));
    const ack = await socket.emitWithAck("auth:refresh", { token: user.accessToken });
    assert.equal(ack.ok, true);
    assert.ok(ack.ok && Date.parse(ack.data.expiresAt) > Date.now() + 60_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(expired, false);
    assert.equal(socket.connected, true);
    const ping = await socket.emitWithAck("system:ping", {});
    assert.equal(ping.ok, true);
  });

  it("refuses a refresh with another user's, a forged, a revoked or a malformed token, and changes nothing", async () => {
    const user = await createTestUser(services);
    const other = await createTestUser(services);
    const socket = await connectSocket(url, user.accessToken);
    sockets.push(socket);
    const cases: Array<[unknown, string]> = [
      [{ token: other.accessToken }, "FORBIDDEN"],
      [{ token: `${user.accessToken.slice(0, -4)}AAAA` }, "UNAUTHENTICATED"],
      [{ token: "" }, "VALIDATION_FAILED"],
      [{ token: { $gt: "" } }, "VALIDATION_FAILED"],
      [{ token: user.accessToken, extra: 1 }, "VALIDATION_FAILED"],
      ["not an object", "VALIDATION_FAILED"],
    ];
    for (const [payload, code] of cases) {
      const ack = await socket.emitWithAck("auth:refresh", payload as never);
      assert.equal(ack.ok, false, JSON.stringify(payload));
      assert.equal(!ack.ok && ack.error.code, code, JSON.stringify(payload));
    }
    const second = await services.auth.login({ email: user.email, password: user.password }, { ip: "127.0.0.1", userAgent: "test" });
    assert.ok(!second.twoFactorRequired);
    await services.sessions.revoke({ userId: user.userId, sessionId: user.sessionId, roles: ["user"] }, second.sessionId, { ip: "127.0.0.1", userAgent: "test" });
    const revoked = await socket.emitWithAck("auth:refresh", { token: second.accessToken });
    assert.equal(!revoked.ok && revoked.error.code, "SESSION_REVOKED");
    assert.equal(socket.connected, true, "a refused refresh leaves the socket on its current token");
  });
});
