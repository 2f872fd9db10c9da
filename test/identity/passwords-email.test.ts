import assert from "node:assert/strict";
import { startGateway, type Gateway } from "../../gateway/server.js";
import { waitFor } from "../helpers/ports.js";
import { connectSocket, nextEvent } from "../helpers/sockets.js";
import { createTestUser } from "../helpers/users.js";
import { IdentityHarness, randomIp, uniqueEmail } from "./identity-fixtures.js";

/** The 43-character token in the last message of a kind sent to an address. */
function tokenFrom(h: IdentityHarness, to: string, kind: string): string {
  const message = h.services.outbox.last(to, kind);
  assert.ok(message, `a ${kind} message to ${to}`);
  const match = /code in the app: ([A-Za-z0-9_-]{43})|code: ([A-Za-z0-9_-]{43})/.exec(message.text);
  assert.ok(match, message.text);
  return (match[1] ?? match[2])!;
}

describe("identity: passwords and e-mail verification", () => {
  let h: IdentityHarness;
  let gateway: Gateway;

  before(async () => {
    h = await IdentityHarness.start();
    gateway = await startGateway(h.platform, h.services, 0);
  });
  after(async () => {
    await gateway.close();
    await h.close();
  });

  describe("POST /api/auth/password/forgot and /reset", () => {
    it("answers the same for known and unknown addresses, and only known ones get a link", async () => {
      const user = await createTestUser(h.services);
      const stranger = uniqueEmail();
      const known = await h.call("POST", "/api/auth/password/forgot", { body: { email: user.email } });
      const unknown = await h.call("POST", "/api/auth/password/forgot", { body: { email: stranger } });
      assert.equal(known.status, 202);
      assert.deepEqual([unknown.status, unknown.body], [known.status, known.body]);
      assert.ok(h.services.outbox.last(user.email, "password_reset"));
      assert.equal(h.services.outbox.last(stranger, "password_reset"), undefined);
    });

    it("resets once with a token, ends every session and drops their sockets; the token then fails", async () => {
      const user = await createTestUser(h.services);
      const socket = await connectSocket(`http://127.0.0.1:${gateway.port}`, user.accessToken);
      await h.call("POST", "/api/auth/password/forgot", { body: { email: user.email } });
      const token = tokenFrom(h, user.email, "password_reset");
      const revoked = nextEvent<{ reason: string }>(socket, "session:revoked");
      const res = await h.call("POST", "/api/auth/password/reset", { body: { token, newPassword: "A-brand-new-passphrase" } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal((await revoked).reason, "password_changed");
      await waitFor(() => socket.disconnected, 5_000, "socket to drop");
      assert.equal((await h.call("GET", "/api/me", { token: user.accessToken })).status, 401);
      assert.equal((await h.call("POST", "/api/auth/refresh", { body: { refreshToken: user.refreshToken } })).status, 401);
      const reuse = await h.call("POST", "/api/auth/password/reset", { body: { token, newPassword: "Yet-another-passphrase" } });
      assert.equal(reuse.status, 400);
      assert.equal(reuse.body.error.code, "INVALID_TOKEN");
      assert.equal((await h.call("POST", "/api/auth/login", { body: { email: user.email, password: user.password } })).status, 401);
      assert.equal((await h.call("POST", "/api/auth/login", { body: { email: user.email, password: "A-brand-new-passphrase" } })).status, 200);
    });

    it("refuses an expired token, an older link after a reset, a weak password, and malformed input", async () => {
      const user = await createTestUser(h.services);
      await h.call("POST", "/api/auth/password/forgot", { body: { email: user.email } });
      const older = tokenFrom(h, user.email, "password_reset");
      await h.call("POST", "/api/auth/password/forgot", { body: { email: user.email } });
      const newer = tokenFrom(h, user.email, "password_reset");
      const weak = await h.call("POST", "/api/auth/password/reset", { body: { token: newer, newPassword: "qwertyuiop" } });
      assert.equal(weak.status, 400);
      assert.equal(weak.body.error.code, "VALIDATION_FAILED");
      const sameAsEmail = await h.call("POST", "/api/auth/password/reset", { body: { token: newer, newPassword: user.email } });
      assert.equal(sameAsEmail.status, 400);
      assert.equal((await h.call("POST", "/api/auth/password/reset", { body: { token: newer, newPassword: "Fine-new-passphrase-1" } })).status, 200);
      assert.equal((await h.call("POST", "/api/auth/password/reset", { body: { token: older, newPassword: "Fine-new-passphrase-2" } })).body.error.code, "INVALID_TOKEN");

      await h.call("POST", "/api/auth/password/forgot", { body: { email: user.email } });
      const expiring = tokenFrom(h, user.email, "password_reset");
      await h.platform.pg.query("UPDATE password_reset_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND used_at IS NULL", [user.userId]);
      assert.equal((await h.call("POST", "/api/auth/password/reset", { body: { token: expiring, newPassword: "Fine-new-passphrase-3" } })).body.error.code, "INVALID_TOKEN");
      for (const body of [{ token: "x", newPassword: "Fine-new-passphrase" }, { token: expiring }, { token: { $ne: "" }, newPassword: "Fine-new-passphrase" }]) {
        assert.equal((await h.call("POST", "/api/auth/password/reset", { body })).status, 400, JSON.stringify(body));
      }
      for (const body of [{}, { email: "x" }, { email: user.email, phone: "+14155550123" }]) {
        assert.equal((await h.call("POST", "/api/auth/password/forgot", { body })).status, 400, JSON.stringify(body));
      }
    });

    it("limits reset messages per address (429 with Retry-After), whoever asks", async () => {
      const email = uniqueEmail();
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await h.call("POST", "/api/auth/password/forgot", { ip: randomIp(), body: { email } })).status);
      assert.deepEqual(statuses, [202, 202, 202, 202, 202, 429]);
    });
  });

  describe("POST /api/auth/password/change", () => {
    it("needs the current password, keeps this session and ends the others", async () => {
      const user = await createTestUser(h.services);
      const other = await h.services.auth.login({ email: user.email, password: user.password }, {});
      assert.ok(!other.twoFactorRequired);
      const socket = await connectSocket(`http://127.0.0.1:${gateway.port}`, other.accessToken);
      const revoked = nextEvent<{ reason: string }>(socket, "session:revoked");
      const res = await h.call("POST", "/api/auth/password/change", { token: user.accessToken, body: { currentPassword: user.password, newPassword: "Changed-passphrase-42" } });
      assert.deepEqual([res.status, res.body], [200, { revokedSessions: 1 }]);
      assert.equal((await revoked).reason, "password_changed");
      assert.equal((await h.call("GET", "/api/me", { token: user.accessToken })).status, 200);
      assert.equal((await h.call("GET", "/api/me", { token: other.accessToken })).status, 401);
      assert.equal((await h.call("POST", "/api/auth/login", { body: { email: user.email, password: "Changed-passphrase-42" } })).status, 200);
    });

    it("refuses a wrong current password (counted towards lockout), a reused or weak one, and anonymous calls", async () => {
      const user = await createTestUser(h.services);
      const wrong = await h.call("POST", "/api/auth/password/change", { token: user.accessToken, body: { currentPassword: "not-my-password", newPassword: "Changed-passphrase-42" } });
      assert.deepEqual([wrong.status, wrong.body.error.code], [403, "WRONG_PASSWORD"]);
      const { rows } = await h.platform.pg.query("SELECT failed_login_count FROM users WHERE id = $1", [user.userId]);
      assert.equal(rows[0].failed_login_count, 1);
      const same = await h.call("POST", "/api/auth/password/change", { token: user.accessToken, body: { currentPassword: user.password, newPassword: user.password } });
      assert.equal(same.status, 400);
      const weak = await h.call("POST", "/api/auth/password/change", { token: user.accessToken, body: { currentPassword: user.password, newPassword: "iloveyou1" } });
      assert.equal(weak.status, 400);
      assert.equal((await h.call("POST", "/api/auth/password/change", { body: { currentPassword: user.password, newPassword: "Changed-passphrase-42" } })).status, 401);
      assert.equal((await h.call("POST", "/api/auth/login", { body: { email: user.email, password: user.password } })).status, 200);
    });
  });

  describe("POST /api/auth/verify-email and /verify-email/resend", () => {
    it("verifies with the registration link once; the link then fails", async () => {
      const { email, body } = await h.register();
      const token = tokenFrom(h, email, "email_verification");
      const res = await h.call("POST", "/api/auth/verify-email", { body: { token } });
      assert.deepEqual([res.status, res.body], [200, { verified: true }]);
      const me = await h.call("GET", "/api/me", { token: body.accessToken });
      assert.equal(me.body.user.emailVerified, true);
      assert.equal((await h.call("POST", "/api/auth/verify-email", { body: { token } })).body.error.code, "INVALID_TOKEN");
      const resend = await h.call("POST", "/api/auth/verify-email/resend", { token: body.accessToken });
      assert.deepEqual([resend.status, resend.body.error.code], [409, "CONFLICT"]);
    });

    it("resends a new link to the signed-in user only; refuses bad tokens", async () => {
      const { email, body } = await h.register();
      const resend = await h.call("POST", "/api/auth/verify-email/resend", { token: body.accessToken });
      assert.deepEqual([resend.status, resend.body], [202, { sent: true }]);
      assert.equal(h.services.outbox.sentTo(email).filter((m) => m.kind === "email_verification").length, 2);
      assert.equal((await h.call("POST", "/api/auth/verify-email", { body: { token: tokenFrom(h, email, "email_verification") } })).status, 200);
      assert.equal((await h.call("POST", "/api/auth/verify-email/resend")).status, 401);
      assert.equal((await h.call("POST", "/api/auth/verify-email/resend", { token: body.accessToken, body: { email: "other@example.test" } })).status, 400);
      assert.equal((await h.call("POST", "/api/auth/verify-email", { body: { token: "B".repeat(43) } })).status, 400);
      assert.equal((await h.call("POST", "/api/auth/verify-email", { body: { token: ["x"] } })).status, 400);
    });

    it("refuses resending for a phone-only account", async () => {
      const res = await h.call("POST", "/api/auth/register", { body: { phone: "+1 212 555 0147", password: "Correct-Horse-Battery-9", fullName: "P" } });
      const resend = await h.call("POST", "/api/auth/verify-email/resend", { token: res.body.accessToken });
      assert.deepEqual([resend.status, resend.body.error.code], [400, "BAD_REQUEST"]);
    });
  });
});
