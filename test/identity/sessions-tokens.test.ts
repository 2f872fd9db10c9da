import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { SignJWT } from "jose";
import pg from "pg";
import { aliveSessionKey, RevocationRepository, revokedSessionKey } from "../../shared/auth/revocation.repository.js";
import { SessionAccessGuard } from "../../shared/auth/session-access-guard.js";
import { SessionRepository } from "../../shared/auth/session.repository.js";
import { spawnRole } from "../helpers/processes.js";
import { startGateway, type Gateway } from "../../gateway/server.js";
import { connectSocket, nextEvent } from "../helpers/sockets.js";
import { waitFor } from "../helpers/ports.js";
import { createTestUser } from "../helpers/users.js";
import { IdentityHarness } from "./identity-fixtures.js";

describe("identity: tokens and sessions", () => {
  let h: IdentityHarness;
  let gateway: Gateway;
  let gatewayUrl: string;

  before(async () => {
    h = await IdentityHarness.start();
    gateway = await startGateway(h.platform, h.services, 0);
    gatewayUrl = `http://127.0.0.1:${gateway.port}`;
  });
  after(async () => {
    await gateway.close();
    await h.close();
  });

  describe("access tokens", () => {
    it("refuses a missing, malformed, forged, expired, wrong-audience or 2FA-challenge token", async () => {
      const user = await createTestUser(h.services);
      const key = new TextEncoder().encode(h.platform.config.JWT_SECRET);
      const forged = await new SignJWT({ typ: "access", sid: user.sessionId }).setProtectedHeader({ alg: "HS256" }).setSubject(user.userId)
        .setIssuer("chatwave").setAudience("chatwave-clients").setExpirationTime("5m").sign(new TextEncoder().encode("another-secret-of-at-least-32-characters!!"));
      const wrongAudience = await new SignJWT({ typ: "access", sid: user.sessionId }).setProtectedHeader({ alg: "HS256" }).setSubject(user.userId)
        .setIssuer("chatwave").setAudience("someone-else").setExpirationTime("5m").sign(key);
      const expired = await h.services.tokens.sign({ userId: user.userId, sessionId: user.sessionId, roles: ["user"] }, -10);
      const challenge = (await h.services.tokens.signChallenge(user.userId, 60)).token;
      for (const [token, code] of [["", "UNAUTHENTICATED"], ["not.a.jwt", "UNAUTHENTICATED"], [forged, "UNAUTHENTICATED"], [wrongAudience, "UNAUTHENTICATED"], [expired, "TOKEN_EXPIRED"], [challenge, "UNAUTHENTICATED"]] as const) {
        const res = await h.call("GET", "/api/me", { token });
        assert.equal(res.status, 401, `${code} ${token.slice(0, 20)}`);
        if (token) assert.equal(res.body.error.code, code);
      }
      // A well-signed token for a session that never existed is refused too.
      const ghost = await h.services.tokens.sign({ userId: user.userId, sessionId: "00000000-0000-4000-8000-000000000000", roles: ["user"] });
      assert.equal((await h.call("GET", "/api/me", { token: ghost })).body.error.code, "SESSION_REVOKED");
    });
  });

  describe("POST /api/auth/refresh", () => {
    it("rotates: a new pair each time, for the same session", async () => {
      const user = await createTestUser(h.services);
      const first = await h.call("POST", "/api/auth/refresh", { body: { refreshToken: user.refreshToken } });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.sessionId, user.sessionId);
      assert.notEqual(first.body.refreshToken, user.refreshToken);
      const second = await h.call("POST", "/api/auth/refresh", { body: { refreshToken: first.body.refreshToken } });
      assert.equal(second.status, 200);
      assert.equal((await h.call("GET", "/api/me", { token: second.body.accessToken })).status, 200);
    });

    it("refuses the just-replaced token inside the grace window without ending the session", async () => {
      const user = await createTestUser(h.services);
      const rotated = await h.call("POST", "/api/auth/refresh", { body: { refreshToken: user.refreshToken } });
      const again = await h.call("POST", "/api/auth/refresh", { body: { refreshToken: user.refreshToken } });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, "TOKEN_ROTATED");
      const next = await h.call("POST", "/api/auth/refresh", { body: { refreshToken: rotated.body.refreshToken } });
      assert.equal(next.status, 200);
    });

    it("ends the whole session when a spent token is presented again (older than the parent, or after the grace window)", async () => {
      const user = await createTestUser(h.services);
      const socket = await connectSocket(gatewayUrl, user.accessToken);
      const one = await h.call("POST", "/api/auth/refresh", { body: { refreshToken: user.refreshToken } });
      const two = await h.call("POST", "/api/auth/refresh", { body: { refreshToken: one.body.refreshToken } });
      const revoked = nextEvent<{ sessionId: string; reason: string }>(socket, "session:revoked");
      // The grandparent is replayed: theft is assumed.
      const replay = await h.call("POST", "/api/auth/refresh", { body: { refreshToken: user.refreshToken } });
      assert.equal(replay.status, 401);
      assert.deepEqual(await revoked, { sessionId: user.sessionId, reason: "reused" });
      await waitFor(() => socket.disconnected, 5_000, "socket to drop");
      assert.equal((await h.call("POST", "/api/auth/refresh", { body: { refreshToken: two.body.refreshToken } })).status, 401);
      assert.equal((await h.call("GET", "/api/me", { token: two.body.accessToken })).body.error.code, "SESSION_REVOKED");
      const audit = await h.platform.pg.query("SELECT count(*)::int AS n FROM audit_logs WHERE event = 'refresh_token.reused' AND session_id = $1", [user.sessionId]);
      assert.equal(audit.rows[0].n, 1);

      // The parent past its grace window counts as reuse too.
      const other = await createTestUser(h.services);
      const rotated = await h.call("POST", "/api/auth/refresh", { body: { refreshToken: other.refreshToken } });
      await h.platform.pg.query("UPDATE refresh_tokens SET used_at = now() - interval '1 hour' WHERE session_id = $1 AND used_at IS NOT NULL", [other.sessionId]);
      assert.equal((await h.call("POST", "/api/auth/refresh", { body: { refreshToken: other.refreshToken } })).status, 401);
      assert.equal((await h.call("POST", "/api/auth/refresh", { body: { refreshToken: rotated.body.refreshToken } })).status, 401);
    });

    it("gives exactly one new token to fifty parallel refreshes of one token", async () => {
      const user = await createTestUser(h.services);
      const results = await Promise.all(Array.from({ length: 50 }, () => h.call("POST", "/api/auth/refresh", { body: { refreshToken: user.refreshToken } })));
      const ok = results.filter((res) => res.status === 200);
      assert.equal(ok.length, 1);
      assert.deepEqual([...new Set(results.filter((res) => res.status !== 200).map((res) => res.body.error.code))], ["TOKEN_ROTATED"]);
      const { rows } = await h.platform.pg.query("SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1", [user.sessionId]);
      assert.equal(rows[0].n, 2);
      assert.equal((await h.call("POST", "/api/auth/refresh", { body: { refreshToken: ok[0]!.body.refreshToken } })).status, 200);
    });

    it("refuses unknown and malformed refresh tokens", async () => {
      assert.equal((await h.call("POST", "/api/auth/refresh", { body: { refreshToken: "A".repeat(43) } })).status, 401);
      for (const body of [{}, { refreshToken: "short" }, { refreshToken: 5 }, { refreshToken: { $gt: "" } }, { refreshToken: "A".repeat(43), extra: 1 }]) {
        assert.equal((await h.call("POST", "/api/auth/refresh", { body })).status, 400, JSON.stringify(body));
      }
    });
  });

  describe("logout and session management", () => {
    it("POST /logout ends the session at once, for the API and the session's sockets", async () => {
      const user = await createTestUser(h.services);
      const socket = await connectSocket(gatewayUrl, user.accessToken);
      assert.equal((await h.call("GET", "/api/me", { token: user.accessToken })).status, 200);
      const revoked = nextEvent<{ sessionId: string; reason: string }>(socket, "session:revoked");
      const res = await h.call("POST", "/api/auth/logout", { token: user.accessToken });
      assert.equal(res.status, 204);
      assert.deepEqual(await revoked, { sessionId: user.sessionId, reason: "logout" });
      await waitFor(() => socket.disconnected, 5_000, "socket to drop");
      assert.equal((await h.call("GET", "/api/me", { token: user.accessToken })).status, 401);
      assert.equal((await h.call("POST", "/api/auth/refresh", { body: { refreshToken: user.refreshToken } })).status, 401);
      await assert.rejects(connectSocket(gatewayUrl, user.accessToken), /session has ended/);
      assert.equal((await h.call("POST", "/api/auth/logout")).status, 401);
    });

    it("lists the caller's live sessions, revokes one, and revokes all the others", async () => {
      const user = await createTestUser(h.services);
      const second = await h.services.auth.login({ email: user.email, password: user.password }, { ip: "192.0.2.7", userAgent: "phone" });
      const third = await h.services.auth.login({ email: user.email, password: user.password }, {});
      assert.ok(!second.twoFactorRequired && !third.twoFactorRequired);
      const list = await h.call("GET", "/api/auth/sessions", { token: user.accessToken });
      assert.equal(list.status, 200);
      assert.equal(list.body.sessions.length, 3);
      const mine = list.body.sessions.find((s: { id: string }) => s.id === user.sessionId);
      assert.equal(mine.current, true);
      const phone = list.body.sessions.find((s: { id: string }) => s.id === second.sessionId);
      assert.deepEqual([phone.ip, phone.userAgent, phone.current], ["192.0.2.7", "phone", false]);

      const socket = await connectSocket(gatewayUrl, second.accessToken);
      const dropped = nextEvent<{ reason: string }>(socket, "session:revoked");
      assert.equal((await h.call("DELETE", `/api/auth/sessions/${second.sessionId}`, { token: user.accessToken })).status, 204);
      assert.equal((await dropped).reason, "revoked");
      assert.equal((await h.call("GET", "/api/me", { token: second.accessToken })).status, 401);
      assert.equal((await h.call("DELETE", `/api/auth/sessions/${second.sessionId}`, { token: user.accessToken })).status, 404);

      const others = await h.call("DELETE", "/api/auth/sessions", { token: user.accessToken });
      assert.deepEqual(others.body, { revoked: 1 });
      assert.equal((await h.call("GET", "/api/me", { token: third.accessToken })).status, 401);
      assert.equal((await h.call("GET", "/api/me", { token: user.accessToken })).status, 200);
      const after = await h.call("GET", "/api/auth/sessions", { token: user.accessToken });
      assert.deepEqual(after.body.sessions.map((s: { id: string }) => s.id), [user.sessionId]);
    });

    it("treats another user's session as not found and leaves it alive; refuses a malformed id", async () => {
      const owner = await createTestUser(h.services);
      const other = await createTestUser(h.services);
      const res = await h.call("DELETE", `/api/auth/sessions/${owner.sessionId}`, { token: other.accessToken });
      assert.equal(res.status, 404);
      assert.equal(res.body.error.code, "SESSION_NOT_FOUND");
      assert.equal((await h.call("GET", "/api/me", { token: owner.accessToken })).status, 200);
      assert.equal((await h.call("DELETE", "/api/auth/sessions/not-a-uuid", { token: other.accessToken })).status, 400);
      const list = await h.call("GET", "/api/auth/sessions", { token: other.accessToken });
      assert.ok(list.body.sessions.every((s: { id: string }) => s.id !== owner.sessionId));
    });

    it("drops the session's sockets on another gateway process too", async () => {
      const replica = await spawnRole("gateway");
      try {
        const user = await createTestUser(h.services);
        const remote = await connectSocket(replica.url, user.accessToken);
        const local = await connectSocket(gatewayUrl, user.accessToken);
        const remoteRevoked = nextEvent<{ reason: string }>(remote, "session:revoked");
        assert.equal((await h.call("POST", "/api/auth/logout", { token: user.accessToken })).status, 204);
        assert.equal((await remoteRevoked).reason, "logout");
        await waitFor(() => remote.disconnected && local.disconnected, 5_000, "sockets on both replicas to drop");
        await assert.rejects(connectSocket(replica.url, user.accessToken), /session has ended/);
      } finally {
        await replica.stop();
      }
    });

    it("falls back to PostgreSQL when Redis is unreachable", async () => {
      const dead = new Redis("redis://127.0.0.1:1", { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
      dead.on("error", () => undefined);
      const logger = h.platform.logger.child({ test: "dead-redis" });
      logger.level = "silent";
      const guard = new SessionAccessGuard(h.services.tokens, new RevocationRepository(dead, 960, 30), new SessionRepository(h.platform.pg), logger);
      try {
        const user = await createTestUser(h.services);
        assert.equal((await guard.authenticate(user.accessToken)).sessionId, user.sessionId);
        await h.services.sessions.logout({ userId: user.userId, sessionId: user.sessionId, roles: [] }, {});
        await assert.rejects(guard.authenticate(user.accessToken), /session has ended/);
      } finally {
        dead.disconnect();
      }
    });

    it("checks PostgreSQL when Redis has no answer, and caches the revocation", async () => {
      const user = await createTestUser(h.services);
      assert.equal((await h.call("GET", "/api/me", { token: user.accessToken })).status, 200);
      // A revocation written only to PostgreSQL (its Redis mark lost) still takes effect once the short alive mark expires.
      await h.platform.pg.query("UPDATE user_sessions SET revoked_at = now() WHERE id = $1", [user.sessionId]);
      await h.platform.redis.del(aliveSessionKey(user.userId, user.sessionId));
      assert.equal((await h.call("GET", "/api/me", { token: user.accessToken })).body.error.code, "SESSION_REVOKED");
      assert.equal(await h.platform.redis.exists(revokedSessionKey(user.userId, user.sessionId)), 1);
    });

    describe("session cache on the handshake path", () => {
      // A real pool to a port where no PostgreSQL listens: any read of the session table fails the check.
      let unreachable: pg.Pool;
      let guard: SessionAccessGuard;
      before(() => {
        unreachable = new pg.Pool({ connectionString: "postgres://postgres@127.0.0.1:1/none", connectionTimeoutMillis: 1_000 });
        unreachable.on("error", () => undefined);
        guard = new SessionAccessGuard(h.services.tokens, new RevocationRepository(h.platform.redis, 960, 900), new SessionRepository(unreachable), h.platform.logger);
      });
      after(() => unreachable.end());

      it("admits a session warmed at sign-in and at refresh without reading PostgreSQL, in one slot", async () => {
        const user = await createTestUser(h.services);
        assert.equal((await guard.authenticate(user.accessToken)).sessionId, user.sessionId);
        const ttl = await h.platform.redis.ttl(aliveSessionKey(user.userId, user.sessionId));
        assert.ok(ttl > 60 && ttl <= h.platform.config.ACCESS_TOKEN_TTL_SECONDS, `alive mark lasts as long as a token (ttl ${ttl})`);
        await h.platform.redis.del(aliveSessionKey(user.userId, user.sessionId));
        await assert.rejects(guard.authenticate(user.accessToken), /ECONNREFUSED|connect/, "without the mark the guard must read PostgreSQL");
        const refreshed = await h.services.sessions.refresh(user.refreshToken, {});
        assert.equal((await guard.authenticate(refreshed.accessToken)).sessionId, user.sessionId);
        // Every key of the check carries the user's hash tag.
        for (const key of [aliveSessionKey(user.userId, "s"), revokedSessionKey(user.userId, "s")]) assert.match(key, new RegExp(`\\{u:${user.userId}\\}`));
      });

      it("still refuses a revoked session at once, on the API and at a gateway handshake", async () => {
        const user = await createTestUser(h.services);
        const signedIn = await h.services.auth.login({ email: user.email, password: user.password }, {});
        if (signedIn.twoFactorRequired) assert.fail("unexpected 2FA challenge");
        const second = signedIn;
        const socket = await connectSocket(gatewayUrl, second.accessToken);
        socket.close();
        assert.equal((await guard.authenticate(second.accessToken)).sessionId, second.sessionId);
        await h.services.sessions.revoke({ userId: user.userId, sessionId: user.sessionId, roles: [] }, second.sessionId, {});
        await assert.rejects(guard.authenticate(second.accessToken), /session has ended/);
        assert.equal((await h.call("GET", "/api/me", { token: second.accessToken })).body.error.code, "SESSION_REVOKED");
        await assert.rejects(connectSocket(gatewayUrl, second.accessToken), /session has ended/);
        // Logging out and disabling are as immediate.
        assert.equal((await guard.authenticate(user.accessToken)).sessionId, user.sessionId);
        await h.services.sessions.logout({ userId: user.userId, sessionId: user.sessionId, roles: [] }, {});
        await assert.rejects(guard.authenticate(user.accessToken), /session has ended/);
      });
    });
  });
});
