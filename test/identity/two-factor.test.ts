import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { IdentityHarness, freshTotpStep, totpCode } from "./identity-fixtures.js";

describe("identity: TOTP two-factor authentication", () => {
  let h: IdentityHarness;

  before(async () => {
    h = await IdentityHarness.start();
  });
  after(async () => {
    await h.close();
  });

  /** A user with 2FA enabled; `step` is the current step, and step - 1 was spent on enabling. */
  async function enrolled(): Promise<{ user: TestUser; secret: string; step: number; recoveryCodes: string[] }> {
    const user = await createTestUser(h.services);
    const setup = await h.call("POST", "/api/auth/2fa/setup", { token: user.accessToken, body: { password: user.password } });
    assert.equal(setup.status, 200, JSON.stringify(setup.body));
    const step = await freshTotpStep();
    const enable = await h.call("POST", "/api/auth/2fa/enable", { token: user.accessToken, body: { code: totpCode(setup.body.secret, step - 1) } });
    assert.equal(enable.status, 200, JSON.stringify(enable.body));
    return { user, secret: setup.body.secret, step, recoveryCodes: enable.body.recoveryCodes };
  }

  async function challenge(user: TestUser): Promise<string> {
    const res = await h.call("POST", "/api/auth/login", { body: { email: user.email, password: user.password } });
    assert.equal(res.status, 200);
    assert.equal(res.body.twoFactorRequired, true);
    assert.equal("accessToken" in res.body, false);
    return res.body.challengeToken;
  }

  it("setup returns the secret, an otpauth URI and a QR image; enable returns 10 recovery codes", async () => {
    const user = await createTestUser(h.services);
    const setup = await h.call("POST", "/api/auth/2fa/setup", { token: user.accessToken, body: { password: user.password } });
    assert.equal(setup.status, 200);
    const parsed = OTPAuth.URI.parse(setup.body.otpauthUri) as OTPAuth.TOTP;
    assert.equal(parsed.secret.base32, setup.body.secret);
    assert.equal(parsed.issuer, "ChatWave");
    assert.equal(parsed.label, user.email);
    assert.deepEqual([parsed.digits, parsed.period, parsed.algorithm], [6, 30, "SHA1"]);
    assert.match(setup.body.qrCodeDataUrl, /^data:image\/png;base64,[A-Za-z0-9+/=]{200,}$/);
    const stored = await h.platform.pg.query("SELECT totp_pending_secret FROM users WHERE id = $1", [user.userId]);
    assert.ok(!String(stored.rows[0].totp_pending_secret).includes(setup.body.secret), "the secret is encrypted at rest");

    const step = await freshTotpStep();
    const wrong = await h.call("POST", "/api/auth/2fa/enable", { token: user.accessToken, body: { code: totpCode(setup.body.secret, step - 5) } });
    assert.deepEqual([wrong.status, wrong.body.error.code], [400, "INVALID_CODE"]);
    const enable = await h.call("POST", "/api/auth/2fa/enable", { token: user.accessToken, body: { code: totpCode(setup.body.secret, step) } });
    assert.equal(enable.status, 200);
    assert.equal(enable.body.recoveryCodes.length, 10);
    assert.equal(new Set(enable.body.recoveryCodes).size, 10);
    for (const code of enable.body.recoveryCodes) assert.match(code, /^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
    const me = await h.call("GET", "/api/me", { token: user.accessToken });
    assert.equal(me.body.user.twoFactorEnabled, true);
    const again = await h.call("POST", "/api/auth/2fa/setup", { token: user.accessToken, body: { password: user.password } });
    assert.equal(again.status, 409);
  });

  it("requires the password for setup and a pending setup for enable", async () => {
    const user = await createTestUser(h.services);
    const noSetup = await h.call("POST", "/api/auth/2fa/enable", { token: user.accessToken, body: { code: "123456" } });
    assert.equal(noSetup.status, 400);
    const wrong = await h.call("POST", "/api/auth/2fa/setup", { token: user.accessToken, body: { password: "wrong-password" } });
    assert.deepEqual([wrong.status, wrong.body.error.code], [403, "WRONG_PASSWORD"]);
    for (const body of [{}, { password: 1 }, { password: user.password, extra: true }]) {
      assert.equal((await h.call("POST", "/api/auth/2fa/setup", { token: user.accessToken, body })).status, 400);
    }
    for (const body of [{ code: "12345" }, { code: "abcdef" }, { code: 123456 }]) {
      assert.equal((await h.call("POST", "/api/auth/2fa/enable", { token: user.accessToken, body })).status, 400);
    }
    assert.equal((await h.call("POST", "/api/auth/2fa/setup", { body: { password: user.password } })).status, 401);
  });

  it("signs in with a second step, and refuses a replay of an accepted code", async () => {
    const { user, secret, step } = await enrolled();
    const first = await challenge(user);
    const ok = await h.call("POST", "/api/auth/login/2fa", { body: { challengeToken: first, code: totpCode(secret, step) } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.user.id, user.userId);
    assert.equal((await h.call("GET", "/api/me", { token: ok.body.accessToken })).status, 200);

    // The same code again, with a fresh challenge: refused, as is the code spent on enabling.
    const second = await challenge(user);
    for (const code of [totpCode(secret, step), totpCode(secret, step - 1)]) {
      const replay = await h.call("POST", "/api/auth/login/2fa", { body: { challengeToken: second, code } });
      assert.deepEqual([replay.status, replay.body.error.code], [401, "INVALID_CREDENTIALS"]);
    }
    // The next step's code is accepted; the used challenge cannot be used twice.
    const next = await h.call("POST", "/api/auth/login/2fa", { body: { challengeToken: second, code: totpCode(secret, step + 1) } });
    assert.equal(next.status, 200);
    const reusedChallenge = await h.call("POST", "/api/auth/login/2fa", { body: { challengeToken: second, code: totpCode(secret, step + 1) } });
    assert.equal(reusedChallenge.status, 401);
  });

  it("accepts each recovery code once, in any case and without the dash", async () => {
    const { user, recoveryCodes } = await enrolled();
    const code = recoveryCodes[0]!;
    const ok = await h.call("POST", "/api/auth/login/2fa", { body: { challengeToken: await challenge(user), recoveryCode: code.replace("-", "").toLowerCase() } });
    assert.equal(ok.status, 200);
    const again = await h.call("POST", "/api/auth/login/2fa", { body: { challengeToken: await challenge(user), recoveryCode: code } });
    assert.equal(again.status, 401);
    assert.equal(await h.services.twoFactor.remainingRecoveryCodes(user.userId), 9);
  });

  it("refuses forged challenges and bad codes, counting failures towards the lockout", async () => {
    const { user } = await enrolled();
    const token = await challenge(user);
    const accessToken = user.accessToken;
    for (const body of [{ challengeToken: accessToken, code: "000000" }, { challengeToken: "x".repeat(40), code: "000000" }]) {
      const res = await h.call("POST", "/api/auth/login/2fa", { body });
      assert.deepEqual([res.status, res.body.error.code], [401, "INVALID_CREDENTIALS"]);
    }
    for (const body of [{ challengeToken: token }, { challengeToken: token, code: "000000", recoveryCode: "AAAAA-BBBBB" }, { challengeToken: token, code: "1" }]) {
      assert.equal((await h.call("POST", "/api/auth/login/2fa", { body })).status, 400, JSON.stringify(body));
    }
    for (let i = 0; i < 5; i++) await h.call("POST", "/api/auth/login/2fa", { body: { challengeToken: token, recoveryCode: "AAAAA-BBBBB" } });
    const { rows } = await h.platform.pg.query("SELECT locked_until > now() AS locked FROM users WHERE id = $1", [user.userId]);
    assert.equal(rows[0].locked, true);
    const login = await h.call("POST", "/api/auth/login", { body: { email: user.email, password: user.password } });
    assert.deepEqual([login.status, login.body.error.code], [401, "INVALID_CREDENTIALS"]);
  });

  it("disables with the password and a code; sign-in then needs the password only", async () => {
    const { user, secret, step, recoveryCodes } = await enrolled();
    const noCode = await h.call("POST", "/api/auth/2fa/disable", { token: user.accessToken, body: { password: user.password } });
    assert.equal(noCode.status, 400);
    const badCode = await h.call("POST", "/api/auth/2fa/disable", { token: user.accessToken, body: { password: user.password, recoveryCode: "AAAAA-BBBBB" } });
    assert.deepEqual([badCode.status, badCode.body.error.code], [400, "INVALID_CODE"]);
    const wrongPassword = await h.call("POST", "/api/auth/2fa/disable", { token: user.accessToken, body: { password: "nope-nope", code: totpCode(secret, step) } });
    assert.equal(wrongPassword.status, 403);
    const res = await h.call("POST", "/api/auth/2fa/disable", { token: user.accessToken, body: { password: user.password, code: totpCode(secret, step) } });
    assert.deepEqual([res.status, res.body], [200, { disabled: true }]);
    const login = await h.call("POST", "/api/auth/login", { body: { email: user.email, password: user.password } });
    assert.equal(login.body.twoFactorRequired, false);
    assert.equal(await h.services.twoFactor.remainingRecoveryCodes(user.userId), 0);
    assert.ok(recoveryCodes.length === 10);
    const events = await h.platform.pg.query("SELECT event FROM audit_logs WHERE user_id = $1 AND event LIKE '2fa.%' ORDER BY id", [user.userId]);
    assert.deepEqual(events.rows.map((r) => r.event), ["2fa.setup_started", "2fa.enabled", "2fa.disabled"]);
  });
});
