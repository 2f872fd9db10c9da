import assert from "node:assert/strict";
import { startApi, type ApiServer } from "../../api/server.js";
import { ConfigError, loadConfig } from "../../shared/config/config.js";
import { httpCall } from "../helpers/http.js";
import { IdentityHarness, uniqueEmail } from "../identity/identity-fixtures.js";

/** Header values a client or a broken proxy may send that are not addresses. */
const NOT_ADDRESSES = ["unknown", "_", "999.1.1.1", "1.2.3.4:80", "[::1]", "1.2.3.4, nonsense"];

describe("hardening: TRUST_PROXY and WORKER_QUEUES in the config loader", () => {
  it("accepts none, a hop count or addresses/CIDR ranges/range names, and lists a bad value", () => {
    assert.equal(loadConfig({}).TRUST_PROXY, false);
    assert.equal(loadConfig({ TRUST_PROXY: "none" }).TRUST_PROXY, false);
    assert.equal(loadConfig({ TRUST_PROXY: "2" }).TRUST_PROXY, 2);
    assert.deepEqual(loadConfig({ TRUST_PROXY: "10.0.0.0/8, fd00::/8, 192.0.2.7, loopback" }).TRUST_PROXY, ["10.0.0.0/8", "fd00::/8", "192.0.2.7", "loopback"]);
    for (const bad of ["everything", "10.0.0.0/33", "1.2.3.4:80", "*"]) {
      assert.throws(() => loadConfig({ TRUST_PROXY: bad, WORKER_QUEUES: "transcode,bogus" }), (error: unknown) =>
        error instanceof ConfigError && error.problems.some((p) => p.startsWith("TRUST_PROXY")) && error.problems.some((p) => p.startsWith("WORKER_QUEUES") && p.includes("bogus")), bad);
    }
  });
});

describe("hardening: client address and audited writes", function () {
  let h: IdentityHarness;
  before(async () => {
    // Errors only: the sign-in bursts below are meant to be refused, and each refusal would log a warning.
    const level = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = "error";
    try {
      h = await IdentityHarness.start();
    } finally {
      process.env.LOG_LEVEL = level;
    }
  });
  after(async () => h.close());

  const raw = (method: string, path: string, xff: string, options: { token?: string; body?: unknown } = {}) =>
    httpCall(h.baseUrl, method, path, { ...options, headers: { "x-forwarded-for": xff, "user-agent": "hardening" } });

  async function auditOf(userId: string, event: string): Promise<{ ip: string | null }[]> {
    const { rows } = await h.platform.pg.query<{ ip: string | null }>(`SELECT host(ip) AS ip FROM audit_logs WHERE user_id = $1 AND event = $2`, [userId, event]);
    return rows;
  }

  it("registers and signs in with a malformed X-Forwarded-For, recording the socket's address", async () => {
    for (const xff of NOT_ADDRESSES) {
      const email = uniqueEmail();
      const registered = await raw("POST", "/api/auth/register", xff, { body: { email, password: "Correct-Horse-Battery-9", fullName: "Ada" } });
      assert.equal(registered.status, 201, `${xff}: ${JSON.stringify(registered.body)}`);
      const login = await raw("POST", "/api/auth/login", xff, { body: { email, password: "Correct-Horse-Battery-9" } });
      assert.equal(login.status, 200, xff);
      const sessions = await raw("GET", "/api/auth/sessions", xff, { token: login.body.accessToken });
      assert.ok(sessions.body.sessions.every((s: { ip: string }) => s.ip === "127.0.0.1"), JSON.stringify(sessions.body));
      const audit = await auditOf(registered.body.user.id, "login.succeeded");
      assert.deepEqual(audit.map((row) => row.ip), ["127.0.0.1"]);
    }
  });

  it("PATCH /api/me with a bad header completes with its audit record", async () => {
    const { body } = await h.register();
    const res = await raw("PATCH", "/api/me", "unknown", { token: body.accessToken, body: { fullName: "Changed Name" } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.user.fullName, "Changed Name");
    assert.deepEqual((await auditOf(body.user.id, "account.updated")).map((row) => row.ip), ["127.0.0.1"]);
  });

  it("DELETE /api/auth/sessions and logout with a bad header complete with their audit records", async () => {
    const { body, email, password } = await h.register();
    const other = await h.call("POST", "/api/auth/login", { body: { email, password } });
    const revoked = await raw("DELETE", "/api/auth/sessions", "_", { token: body.accessToken });
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    assert.equal(revoked.body.revoked, 1);
    assert.equal((await h.call("GET", "/api/me", { token: other.body.accessToken })).status, 401);
    assert.equal((await auditOf(body.user.id, "session.revoked_others")).length, 1);

    const logout = await raw("POST", "/api/auth/logout", "999.1.1.1", { token: body.accessToken });
    assert.equal(logout.status, 204);
    assert.equal((await h.call("GET", "/api/me", { token: body.accessToken })).status, 401);
    assert.deepEqual((await auditOf(body.user.id, "logout")).map((row) => row.ip), ["127.0.0.1"]);
  });

  it("a failing audit write leaves the account unchanged (one transaction)", async () => {
    const { body } = await h.register();
    // Make the audit insert fail for this user only, after the update ran.
    await h.platform.pg.query(`CREATE OR REPLACE FUNCTION hardening_refuse_audit() RETURNS trigger AS $$
      BEGIN IF NEW.event = 'account.updated' AND NEW.user_id = '${body.user.id}' THEN RAISE EXCEPTION 'audit refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await h.platform.pg.query(`CREATE TRIGGER hardening_refuse_audit BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION hardening_refuse_audit()`);
    try {
      const res = await h.call("PATCH", "/api/me", { token: body.accessToken, body: { fullName: "Should Not Stick" } });
      assert.equal(res.status, 500);
      const me = await h.call("GET", "/api/me", { token: body.accessToken });
      assert.equal(me.body.user.fullName, "Ada Lovelace");
    } finally {
      await h.platform.pg.query(`DROP TRIGGER hardening_refuse_audit ON audit_logs; DROP FUNCTION hardening_refuse_audit()`);
    }
  });

  describe("per-IP sign-in budget", () => {
    const rlKey = "rl:authIp:ip:127.0.0.1";
    const loginBurst = async (baseUrl: string, header: (i: number) => string): Promise<number> => {
      let refused = 0;
      for (let i = 0; i < 40; i++) {
        const res = await httpCall(baseUrl, "POST", "/api/auth/login", { body: { email: uniqueEmail(), password: "Wrong-password-1" }, headers: { "x-forwarded-for": header(i) } });
        if (res.status === 429) refused++;
        else assert.equal(res.status, 401);
      }
      return refused;
    };

    it("ignores X-Forwarded-For when no proxy is trusted (the default)", async () => {
      await h.platform.redis.del(rlKey);
      let untrusting: ApiServer | undefined;
      try {
        untrusting = await startApi({ ...h.platform, config: Object.freeze({ ...h.platform.config, TRUST_PROXY: false as const }) }, h.services, 0);
        const refused = await loginBurst(`http://127.0.0.1:${untrusting.port}`, (i) => `203.0.113.${i + 1}`);
        assert.equal(refused, 10);
      } finally {
        await untrusting?.close();
        await h.platform.redis.del(rlKey);
      }
    });

    it("ignores a malformed X-Forwarded-For from a trusted proxy", async () => {
      await h.platform.redis.del(rlKey);
      try {
        assert.equal(await loginBurst(h.baseUrl, (i) => `unknown-${i}`), 10);
      } finally {
        await h.platform.redis.del(rlKey);
      }
    });
  });
});
