import assert from "node:assert/strict";
import { IdentityHarness, randomIp, uniqueEmail } from "./identity-fixtures.js";

describe("identity: registration and sign-in", () => {
  let h: IdentityHarness;

  before(async () => {
    h = await IdentityHarness.start();
  });
  after(async () => {
    await h.close();
  });

  describe("POST /api/auth/register", () => {
    it("creates the account with the default role, a profile, a session and a verification e-mail", async () => {
      const email = uniqueEmail();
      const res = await h.call("POST", "/api/auth/register", { body: { email, password: "Correct-Horse-Battery-9", fullName: "  Ada Lovelace ", phone: "+1 415 555 0123" } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const { user, accessToken, refreshToken, sessionId, expiresIn, twoFactorRequired } = res.body;
      assert.equal(twoFactorRequired, false);
      assert.equal(user.email, email);
      assert.equal(user.phoneNumber, "+14155550123");
      assert.equal(user.countryCode, "+1");
      assert.equal(user.fullName, "Ada Lovelace");
      assert.equal(user.timezone, "Asia/Kolkata");
      assert.equal(user.emailVerified, false);
      assert.deepEqual(user.roles, ["user"]);
      assert.equal(expiresIn, 900);
      assert.match(refreshToken, /^[A-Za-z0-9_-]{43}$/);
      assert.equal("passwordHash" in user, false);
      const claims = await h.services.accessGuard.authenticate(accessToken);
      const { expiresAt, ...identity } = claims;
      assert.deepEqual(identity, { userId: user.id, sessionId, roles: ["user"] });
      assert.ok(Math.abs(expiresAt - (Date.now() + expiresIn * 1000)) < 5_000, "the claims carry the token's expiry");
      const profile = await h.services.profiles.ensureProfile({ userId: user.id, displayName: "not this one" });
      assert.equal(profile.displayName, "Ada Lovelace");
      const mail = h.services.outbox.last(email, "email_verification");
      assert.ok(mail, "a verification e-mail was sent");
      assert.match(mail.text, /token=[A-Za-z0-9_-]{43}/);
    });

    it("accepts a phone-only account with a national number and its country", async () => {
      const res = await h.call("POST", "/api/auth/register", { body: { phone: "98765 43210", countryCode: "IN", password: "Correct-Horse-Battery-9", fullName: "Ravi", timezone: "Europe/Paris" } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.user.phoneNumber, "+919876543210");
      assert.equal(res.body.user.countryCode, "+91");
      assert.equal(res.body.user.email, null);
      assert.equal(res.body.user.timezone, "Europe/Paris");
    });

    it("refuses a second account with the same e-mail in another case, or the same phone written differently", async () => {
      const { email } = await h.register({ phone: "+44 20 7946 0958" });
      const again = await h.call("POST", "/api/auth/register", { body: { email: email.toUpperCase(), password: "Correct-Horse-Battery-9", fullName: "X" } });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, "ALREADY_EXISTS");
      const phone = await h.call("POST", "/api/auth/register", { body: { phone: "020 7946 0958", countryCode: "GB", password: "Correct-Horse-Battery-9", fullName: "X" } });
      assert.equal(phone.status, 409);
      assert.equal(phone.body.error.details[0].path, "phone");
    });

    const invalid: Array<[string, unknown, string]> = [
      ["no e-mail nor phone", { password: "Correct-Horse-Battery-9", fullName: "A" }, "email"],
      ["a malformed e-mail", { email: "not-an-email", password: "Correct-Horse-Battery-9", fullName: "A" }, "email"],
      ["a password under 8 characters", { email: "a@example.test", password: "Sh0rt!", fullName: "A" }, "password"],
      ["a password over 128 characters", { email: "a@example.test", password: "x".repeat(129), fullName: "A" }, "password"],
      ["a common password", { email: "a@example.test", password: "Password123", fullName: "A" }, "password"],
      ["the e-mail as password", { email: "someone@example.test", password: "SOMEONE@example.test", fullName: "A" }, "password"],
      ["an empty name", { email: "a@example.test", password: "Correct-Horse-Battery-9", fullName: "   " }, "fullName"],
      ["a name of 256 characters", { email: "a@example.test", password: "Correct-Horse-Battery-9", fullName: "n".repeat(256) }, "fullName"],
      ["an invalid phone", { phone: "+1 000", password: "Correct-Horse-Battery-9", fullName: "A" }, "phone"],
      ["an unknown time zone", { email: "a@example.test", password: "Correct-Horse-Battery-9", fullName: "A", timezone: "Mars/Olympus" }, "timezone"],
      ["a wrong type", { email: 42, password: "Correct-Horse-Battery-9", fullName: "A" }, "email"],
      ["an unknown field", { email: "a@example.test", password: "Correct-Horse-Battery-9", fullName: "A", role: "admin" }, ""],
      ["a $-operator", { email: { $ne: null }, password: "Correct-Horse-Battery-9", fullName: "A" }, "email.$ne"],
    ];
    for (const [what, body, path] of invalid) {
      it(`refuses ${what} with 400 VALIDATION_FAILED and creates nothing`, async () => {
        const res = await h.call("POST", "/api/auth/register", { body });
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.body.error.code, "VALIDATION_FAILED");
        if (path) assert.ok(res.body.error.details.some((d: { path: string }) => d.path === path), JSON.stringify(res.body.error.details));
        const { rows } = await h.platform.pg.query("SELECT count(*)::int AS n FROM users WHERE email IN ('a@example.test', 'someone@example.test')");
        assert.equal(rows[0].n, 0);
      });
    }

    it("refuses malformed JSON and an oversized body", async () => {
      const malformed = await h.call("POST", "/api/auth/register", { body: "{\"email\": " });
      assert.equal(malformed.status, 400);
      const huge = await h.call("POST", "/api/auth/register", { body: { email: "a@example.test", password: "p".repeat(300_000), fullName: "A" } });
      assert.equal(huge.status, 413);
    });
  });

  describe("POST /api/auth/login", () => {
    it("signs in by e-mail (any case) and by phone, each with a new session", async () => {
      const { email, password, body } = await h.register({ phone: "+33 6 12 34 56 78" });
      const byEmail = await h.call("POST", "/api/auth/login", { body: { email: email.toUpperCase(), password } });
      assert.equal(byEmail.status, 200, JSON.stringify(byEmail.body));
      assert.equal(byEmail.body.user.id, body.user.id);
      assert.notEqual(byEmail.body.sessionId, body.sessionId);
      const byPhone = await h.call("POST", "/api/auth/login", { body: { phone: "06 12 34 56 78", countryCode: "+33", password } });
      assert.equal(byPhone.status, 200, JSON.stringify(byPhone.body));
      assert.equal(byPhone.body.user.id, body.user.id);
      const { rows } = await h.platform.pg.query("SELECT count(*)::int AS n FROM user_sessions WHERE user_id = $1 AND revoked_at IS NULL", [body.user.id]);
      assert.equal(rows[0].n, 3);
    });

    it("refuses bad input before looking anything up", async () => {
      for (const body of [{ password: "x" }, { email: "a@example.test", phone: "+14155550123", password: "x" }, { email: "a@example.test" }, { email: ["a"], password: "x" }, { email: "a@example.test", password: { $gt: "" } }]) {
        const res = await h.call("POST", "/api/auth/login", { body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.error.code, "VALIDATION_FAILED");
      }
    });

    it("answers an unknown account, a wrong password and a locked account identically, and locks after 5 failures", async () => {
      const { email, password, body } = await h.register();
      const ip = randomIp();
      const unknown = await h.call("POST", "/api/auth/login", { ip, body: { email: uniqueEmail(), password } });
      const wrong: Array<{ status: number; body: unknown }> = [];
      for (let i = 0; i < 5; i++) wrong.push(await h.call("POST", "/api/auth/login", { ip, body: { email, password: `wrong-password-${i}` } }));
      const locked = await h.call("POST", "/api/auth/login", { ip, body: { email, password } });
      assert.equal(unknown.status, 401);
      assert.deepEqual(unknown.body, { error: { code: "INVALID_CREDENTIALS", message: "The sign-in details are not correct" } });
      for (const res of [...wrong, locked]) {
        assert.equal(res.status, unknown.status);
        assert.deepEqual(res.body, unknown.body);
      }
      const { rows } = await h.platform.pg.query("SELECT locked_until > now() AS locked, failed_login_count FROM users WHERE id = $1", [body.user.id]);
      assert.deepEqual(rows[0], { locked: true, failed_login_count: 5 });
      const events = await h.platform.pg.query("SELECT event, metadata->>'reason' AS reason FROM audit_logs WHERE user_id = $1 ORDER BY id", [body.user.id]);
      assert.deepEqual(events.rows.map((r) => r.event), ["user.registered", ...Array(4).fill("login.failed"), "login.failed", "account.locked", "login.failed"]);
      assert.equal(events.rows.at(-1).reason, "locked");
      const attempts = await h.platform.pg.query("SELECT count(*)::int AS n FROM login_attempts WHERE user_id = $1 AND NOT success", [body.user.id]);
      assert.equal(attempts.rows[0].n, 6);
    });

    it("unlocks after the lockout and resets the count on success", async () => {
      const { email, password, body } = await h.register();
      for (let i = 0; i < 4; i++) await h.call("POST", "/api/auth/login", { body: { email, password: `nope-${i}` } });
      const ok = await h.call("POST", "/api/auth/login", { body: { email, password } });
      assert.equal(ok.status, 200);
      const { rows } = await h.platform.pg.query("SELECT failed_login_count FROM users WHERE id = $1", [body.user.id]);
      assert.equal(rows[0].failed_login_count, 0);
      // An expired lock no longer refuses.
      await h.platform.pg.query("UPDATE users SET locked_until = now() - interval '1 second', failed_login_count = 5 WHERE id = $1", [body.user.id]);
      const after = await h.call("POST", "/api/auth/login", { body: { email, password } });
      assert.equal(after.status, 200);
    });

    it("rehashes a password stored with weaker argon2 parameters at the next sign-in", async () => {
      const { email, password, body } = await h.register();
      const argon2 = (await import("argon2")).default;
      const weak = await argon2.hash(password, { type: argon2.argon2id, memoryCost: 8192, timeCost: 1, parallelism: 1 });
      await h.platform.pg.query("UPDATE users SET password_hash = $2 WHERE id = $1", [body.user.id, weak]);
      const res = await h.call("POST", "/api/auth/login", { body: { email, password } });
      assert.equal(res.status, 200);
      const { rows } = await h.platform.pg.query("SELECT password_hash FROM users WHERE id = $1", [body.user.id]);
      assert.match(rows[0].password_hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    });

    it("limits sign-in attempts per IP with 429 and Retry-After", async () => {
      const ip = randomIp();
      const statuses: number[] = [];
      let limited;
      for (let i = 0; i < 31; i++) {
        const res = await h.call("POST", "/api/auth/login", { ip, body: { email: uniqueEmail() } });
        statuses.push(res.status);
        if (res.status === 429) limited = res;
      }
      assert.deepEqual(statuses, [...Array(30).fill(400), 429]);
      assert.ok(limited);
      assert.equal(limited.body.error.code, "RATE_LIMITED");
      const retryAfter = Number(limited.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      const otherIp = await h.call("POST", "/api/auth/login", { ip: randomIp(), body: { email: uniqueEmail() } });
      assert.equal(otherIp.status, 400);
    });
  });
});
