import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { startApi, type ApiServer } from "../../api/server.js";
import { startGateway, type Gateway } from "../../gateway/server.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { httpCall } from "../helpers/http.js";
import { createQuietPlatform as createTestPlatform } from "./quiet-platform.js";
import { connectSocket } from "../helpers/sockets.js";
import { createTestUser, type TestUser } from "../helpers/users.js";

describe("hardening: access-token claims and session ownership", function () {
  let platform: Platform;
  let services: Services;
  let api: ApiServer;
  let gateway: Gateway;
  let base: string;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    api = await startApi(platform, services, 0);
    gateway = await startGateway(platform, services, 0);
    base = `http://127.0.0.1:${api.port}`;
    [alice, bob] = [await createTestUser(services), await createTestUser(services)];
  });
  after(async () => {
    await gateway.close();
    await api.close();
    await platform.close();
  });

  /** A token signed with the real key (as only an insider could), with arbitrary claims. */
  const forge = (sub: string, sid: string) =>
    new SignJWT({ typ: "access", sid, roles: ["user"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(sub)
      .setIssuer(platform.config.JWT_ISSUER)
      .setAudience(platform.config.JWT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(new TextEncoder().encode(platform.config.JWT_SECRET));
  const me = (token: string) => httpCall(base, "GET", "/api/me", { token });
  const handshake = async (token: string): Promise<string> => {
    try {
      (await connectSocket(`http://127.0.0.1:${gateway.port}`, token)).close();
      return "connected";
    } catch (error) {
      return ((error as { data?: { code?: string } }).data?.code) ?? "refused";
    }
  };

  it("answers 401 (not 500) for a session id that is not a UUID", async () => {
    const token = await forge(alice.userId, "not-a-uuid");
    const res = await me(token);
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, "UNAUTHENTICATED");
    assert.equal(await handshake(token), "UNAUTHENTICATED");
  });

  it("refuses a token whose user does not own the session, even while the session is cached alive", async () => {
    assert.equal((await me(alice.accessToken)).status, 200); // writes Alice's alive mark
    const crossed = await forge(bob.userId, alice.sessionId);
    const res = await me(crossed);
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, "SESSION_REVOKED");
    assert.equal(await handshake(crossed), "SESSION_REVOKED");
    // Alice's own session is untouched.
    assert.equal((await me(alice.accessToken)).status, 200);
    assert.equal(await handshake(alice.accessToken), "connected");
  });

  it("refuses tokens with surrounding white space on the handshake and auth:refresh, as the API does", async () => {
    for (const padded of [`${alice.accessToken}\n`, `${alice.accessToken} `, ` ${alice.accessToken}`, `${alice.accessToken}\r\n`]) {
      assert.equal(await handshake(padded), "UNAUTHENTICATED", JSON.stringify(padded.slice(-2)));
    }
    const socket = await connectSocket(`http://127.0.0.1:${gateway.port}`, alice.accessToken);
    try {
      const ack = await socket.timeout(5000).emitWithAck("auth:refresh", { token: `${alice.accessToken}\n` });
      assert.equal(ack.ok, false);
      if (!ack.ok) assert.equal(ack.error.code, "UNAUTHENTICATED");
    } finally {
      socket.close();
    }
    const res = await httpCall(base, "GET", "/api/me", { headers: { authorization: `Bearer ${alice.accessToken}x` } });
    assert.equal(res.status, 401);
  });
});
