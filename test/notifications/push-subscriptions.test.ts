import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import type { Platform } from "../../shared/runtime/platform.js";
import { type Composition, type Services } from "../../shared/runtime/services.js";
import { startWorkers, type WorkerHost } from "../../workers/worker-host.js";
import { httpCall } from "../helpers/http.js";
import { waitFor } from "../helpers/ports.js";
import { spawnRole } from "../helpers/processes.js";
import { createTestPlatform } from "../helpers/platform.js";
import { createTestUser, type TestUser } from "../helpers/users.js";

const meta = { ip: "127.0.0.1", userAgent: "push-test" };

/**
 * A revoked session's device push subscriptions go with it, through the
 * `auth.session-revoked` event written to the PostgreSQL outbox in the
 * revoking transaction: every revocation path, and a process killed right
 * after the commit.
 */
describe("notifications: push subscriptions end with their session", function () {
  this.timeout(90_000);
  let platform: Platform;
  let composition: Composition;
  let services: Services;

  before(async () => {
    ({ platform, composition, services } = await createTestPlatform());
  });
  after(async () => {
    await services.events.flush();
    await platform.close();
  });

  /** Registers a device push subscription for the session; answers its endpoint. */
  async function subscribe(user: { userId: string; sessionId: string }): Promise<string> {
    const endpoint = `https://push.example.test/${randomUUID()}`;
    await services.notifications.pushSubscriptions.register(user, { endpoint, keys: { p256dh: randomBytes(65).toString("base64url"), auth: randomBytes(16).toString("base64url") } });
    return endpoint;
  }

  /** The sessions that still have a push subscription, of those given. */
  async function subscribed(sessionIds: string[]): Promise<string[]> {
    const docs = await platform.mongo.db.collection("pushSubscriptions").find({ sessionId: { $in: sessionIds } }, { comment: "scatter-gather: the test reads subscriptions by session" }).toArray();
    return [...new Set(docs.map((doc) => String(doc.sessionId)))].sort();
  }

  async function pendingRows(sessionId: string): Promise<number> {
    const { rows } = await platform.pg.query("SELECT 1 FROM outbox_events WHERE name = 'auth.session-revoked' AND payload->'sessionIds' ? $1", [sessionId]);
    return rows.length;
  }

  /** A second session of the same user. */
  async function secondSession(user: TestUser): Promise<TestUser> {
    const signedIn = await services.auth.login({ email: user.email, password: user.password }, meta);
    if (signedIn.twoFactorRequired) throw new Error("unexpected 2FA");
    return { ...user, sessionId: signedIn.sessionId, accessToken: signedIn.accessToken, refreshToken: signedIn.refreshToken };
  }

  const actorOf = (user: TestUser) => ({ userId: user.userId, sessionId: user.sessionId, roles: ["user"] });

  it("logout, revoking one or the other sessions, a password change or reset, refresh reuse and disabling each remove exactly the revoked sessions' subscriptions", async () => {
    // Logout: the session's two browsers go, the other session's stays.
    const a = await createTestUser(services);
    const a2 = await secondSession(a);
    await subscribe(a);
    await subscribe(a);
    await subscribe(a2);
    await services.sessions.logout(actorOf(a), meta);
    assert.deepEqual(await subscribed([a.sessionId, a2.sessionId]), [a2.sessionId]);
    await services.events.flush();
    assert.equal(await pendingRows(a.sessionId), 0, "the outbox row is cleared once handled");

    // Revoking another session, then every other session.
    const b = await createTestUser(services);
    const [b2, b3] = [await secondSession(b), await secondSession(b)];
    for (const s of [b, b2, b3]) await subscribe(s);
    await services.sessions.revoke(actorOf(b), b2.sessionId, meta);
    assert.deepEqual(await subscribed([b.sessionId, b2.sessionId, b3.sessionId]), [b.sessionId, b3.sessionId].sort());
    await services.sessions.revokeOthers(actorOf(b), meta);
    assert.deepEqual(await subscribed([b.sessionId, b2.sessionId, b3.sessionId]), [b.sessionId]);

    // A password change ends the other sessions; a reset ends them all.
    const c = await createTestUser(services);
    const c2 = await secondSession(c);
    for (const s of [c, c2]) await subscribe(s);
    const newPassword = `Changed-pass-${randomBytes(6).toString("hex")}`;
    await services.passwords.change(actorOf(c), { currentPassword: c.password, newPassword }, meta);
    assert.deepEqual(await subscribed([c.sessionId, c2.sessionId]), [c.sessionId]);
    await services.passwords.forgot({ email: c.email }, meta);
    await waitFor(async () => services.outbox.last(c.email, "password_reset") !== undefined, 5_000, "reset message");
    const token = /code in the app: ([A-Za-z0-9_-]{43})/.exec(services.outbox.last(c.email, "password_reset")!.text)![1]!;
    await services.passwords.reset({ token, newPassword: `Reset-pass-${randomBytes(6).toString("hex")}` }, meta);
    assert.deepEqual(await subscribed([c.sessionId, c2.sessionId]), []);

    // Presenting a spent refresh token ends the session.
    const d = await createTestUser(services);
    await subscribe(d);
    await services.sessions.refresh(d.refreshToken, meta);
    await platform.pg.query("UPDATE refresh_tokens SET used_at = now() - interval '1 hour' WHERE session_id = $1 AND used_at IS NOT NULL", [d.sessionId]);
    await assert.rejects(services.sessions.refresh(d.refreshToken, meta), /already used/);
    assert.deepEqual(await subscribed([d.sessionId]), []);

    // An administrator disabling the account ends every session.
    const admin = await createTestUser(services, { roles: ["admin"] });
    const e = await createTestUser(services);
    const e2 = await secondSession(e);
    for (const s of [e, e2]) await subscribe(s);
    await services.admin.disable({ userId: admin.userId, sessionId: admin.sessionId, roles: ["user", "admin"] }, e.userId, "test", meta);
    assert.deepEqual(await subscribed([e.sessionId, e2.sessionId]), []);
    assert.deepEqual(await subscribed([a2.sessionId, b.sessionId]), [a2.sessionId, b.sessionId].sort(), "sessions still alive keep theirs");
  });

  it("a session that simply runs out loses its subscriptions when the daily sweep ends it; live sessions keep theirs", async () => {
    const f = await createTestUser(services);
    const f2 = await secondSession(f);
    for (const s of [f, f2]) await subscribe(s);
    await platform.pg.query("UPDATE user_sessions SET expires_at = now() - interval '1 minute' WHERE id = $1", [f2.sessionId]);
    const first = await services.sessions.endExpired(new Date());
    assert.ok(first.ended >= 1, JSON.stringify(first));
    assert.deepEqual(await subscribed([f.sessionId, f2.sessionId]), [f.sessionId], "the expired session's browser no longer gets pushes");
    const { rows } = await platform.pg.query<{ revoke_reason: string | null; revoked: boolean }>("SELECT revoke_reason, revoked_at IS NOT NULL AS revoked FROM user_sessions WHERE id = ANY($1::uuid[]) ORDER BY id = $2 DESC", [[f.sessionId, f2.sessionId], f2.sessionId]);
    assert.deepEqual(rows, [{ revoke_reason: "expired", revoked: true }, { revoke_reason: null, revoked: false }]);
    await services.events.flush();
    assert.equal(await pendingRows(f2.sessionId), 0, "the outbox row is cleared once handled");
    assert.equal((await services.sessions.endExpired(new Date())).ended, 0, "a second sweep ends nothing");
  });

  it("a logout whose process dies right after the commit still removes the subscription, once the sweep delivers the event", async () => {
    const user = await createTestUser(services);
    await subscribe(user);
    const api = await spawnRole("api", { OUTBOX_TEST_HOLD: "true" });
    try {
      const res = await httpCall(api.url, "POST", "/api/auth/logout", { token: user.accessToken });
      assert.ok(res.status < 300, JSON.stringify(res.body));
    } finally {
      api.kill("SIGKILL");
      await api.exited;
    }
    assert.equal(await pendingRows(user.sessionId), 1, "the event survived the process in outbox_events");
    assert.deepEqual(await subscribed([user.sessionId]), [user.sessionId], "nothing happened yet");
    const workers: WorkerHost = await startWorkers(platform, composition.jobs, 0);
    try {
      await services.outboxSweeper.sweep(new Date(Date.now() + 60_000));
      await waitFor(async () => (await subscribed([user.sessionId])).length === 0, 20_000, "subscription removed by the delivered event");
      assert.equal(await pendingRows(user.sessionId), 0, "the row is cleared once dispatched");
    } finally {
      await workers.close(2_000);
    }
  });
});
