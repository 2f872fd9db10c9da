import assert from "node:assert/strict";
import { startGateway, type Gateway } from "../../gateway/server.js";
import { waitFor } from "../helpers/ports.js";
import { connectSocket, nextEvent } from "../helpers/sockets.js";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { IdentityHarness } from "./identity-fixtures.js";

describe("identity: administration", () => {
  let h: IdentityHarness;
  let gateway: Gateway;
  let admin: TestUser;

  before(async () => {
    h = await IdentityHarness.start();
    gateway = await startGateway(h.platform, h.services, 0);
    admin = await createTestUser(h.services, { roles: ["admin"] });
  });
  after(async () => {
    await gateway.close();
    await h.close();
  });

  it("disabling ends every session and socket at once; sign-in is refused like any failure; enabling restores sign-in", async () => {
    const user = await createTestUser(h.services);
    const second = await h.services.auth.login({ email: user.email, password: user.password }, {});
    assert.ok(!second.twoFactorRequired);
    const url = `http://127.0.0.1:${gateway.port}`;
    const [a, b] = await Promise.all([connectSocket(url, user.accessToken), connectSocket(url, second.accessToken)]);
    const revokedA = nextEvent<{ reason: string }>(a, "session:revoked");
    const res = await h.call("POST", `/api/admin/users/${user.userId}/disable`, { token: admin.accessToken, body: { reason: "spam" } });
    assert.deepEqual([res.status, res.body], [200, { disabled: true, revokedSessions: 2 }]);
    assert.equal((await revokedA).reason, "disabled");
    await waitFor(() => a.disconnected && b.disconnected, 5_000, "both sockets to drop");
    for (const token of [user.accessToken, second.accessToken]) assert.equal((await h.call("GET", "/api/me", { token })).status, 401);
    assert.equal((await h.call("POST", "/api/auth/refresh", { body: { refreshToken: user.refreshToken } })).status, 401);
    const login = await h.call("POST", "/api/auth/login", { body: { email: user.email, password: user.password } });
    assert.deepEqual(login.body, { error: { code: "INVALID_CREDENTIALS", message: "The sign-in details are not correct" } });
    await assert.rejects(connectSocket(url, user.accessToken));
    const listed = await h.call("GET", `/api/admin/users?status=disabled&query=${encodeURIComponent(user.email)}`, { token: admin.accessToken });
    assert.deepEqual(listed.body.users.map((u: { id: string; status: string }) => [u.id, u.status]), [[user.userId, "disabled"]]);

    assert.deepEqual((await h.call("POST", `/api/admin/users/${user.userId}/enable`, { token: admin.accessToken })).body, { enabled: true });
    const again = await h.call("POST", "/api/auth/login", { body: { email: user.email, password: user.password } });
    assert.equal(again.status, 200);
    assert.equal((await h.call("GET", "/api/me", { token: again.body.accessToken })).status, 200);
    const audit = await h.platform.pg.query("SELECT event, actor_id, metadata->>'reason' AS reason FROM audit_logs WHERE user_id = $1 AND event LIKE 'user.%abled' ORDER BY id", [user.userId]);
    assert.deepEqual(audit.rows, [{ event: "user.disabled", actor_id: admin.userId, reason: "spam" }, { event: "user.enabled", actor_id: admin.userId, reason: null }]);
  });

  it("grants and revokes roles; the next sign-in carries them", async () => {
    const user = await createTestUser(h.services);
    const granted = await h.call("POST", `/api/admin/users/${user.userId}/roles`, { token: admin.accessToken, body: { role: "moderator" } });
    assert.deepEqual(granted.body, { roles: ["moderator", "user"] });
    const twice = await h.call("POST", `/api/admin/users/${user.userId}/roles`, { token: admin.accessToken, body: { role: "moderator" } });
    assert.deepEqual(twice.body, { roles: ["moderator", "user"] });
    const login = await h.call("POST", "/api/auth/login", { body: { email: user.email, password: user.password } });
    assert.deepEqual((await h.services.accessGuard.authenticate(login.body.accessToken)).roles, ["moderator", "user"]);
    const revoked = await h.call("DELETE", `/api/admin/users/${user.userId}/roles/moderator`, { token: admin.accessToken });
    assert.deepEqual(revoked.body, { roles: ["user"] });
    // A fresh admin token is not needed: admin rights are read from PostgreSQL on every call.
    await h.call("POST", `/api/admin/users/${user.userId}/roles`, { token: admin.accessToken, body: { role: "admin" } });
    assert.equal((await h.call("GET", "/api/admin/users", { token: user.accessToken })).status, 200);
    await h.call("DELETE", `/api/admin/users/${user.userId}/roles/admin`, { token: admin.accessToken });
    assert.equal((await h.call("GET", "/api/admin/users", { token: user.accessToken })).status, 403);
  });

  it("refuses unknown roles and users, disabling oneself and dropping one's own admin role", async () => {
    const user = await createTestUser(h.services);
    const unknownRole = await h.call("POST", `/api/admin/users/${user.userId}/roles`, { token: admin.accessToken, body: { role: "emperor" } });
    assert.deepEqual([unknownRole.status, unknownRole.body.error.code], [404, "ROLE_NOT_FOUND"]);
    const unknownUser = await h.call("POST", "/api/admin/users/00000000-0000-4000-8000-000000000000/disable", { token: admin.accessToken });
    assert.deepEqual([unknownUser.status, unknownUser.body.error.code], [404, "USER_NOT_FOUND"]);
    assert.equal((await h.call("POST", `/api/admin/users/${admin.userId}/disable`, { token: admin.accessToken })).status, 409);
    assert.equal((await h.call("DELETE", `/api/admin/users/${admin.userId}/roles/admin`, { token: admin.accessToken })).status, 409);
    const bad: Array<[string, string, unknown]> = [
      ["POST", "/api/admin/users/not-a-uuid/disable", undefined],
      ["POST", `/api/admin/users/${user.userId}/roles`, { role: "Admin!" }],
      ["POST", `/api/admin/users/${user.userId}/roles`, { role: "moderator", userId: admin.userId }],
      ["POST", `/api/admin/users/${user.userId}/disable`, { reason: { $set: 1 } }],
      ["DELETE", `/api/admin/users/${user.userId}/roles/NOPE`, undefined],
      ["GET", "/api/admin/users?limit=500", undefined],
      ["GET", "/api/admin/users?status=gone", undefined],
      ["GET", "/api/admin/users?cursor=bm90LWEtdXVpZA", undefined],
      ["GET", "/api/admin/users?sort=email", undefined],
    ];
    for (const [method, path, body] of bad) {
      const res = await h.call(method, path, { token: admin.accessToken, ...(body === undefined ? {} : { body }) });
      assert.equal(res.status, 400, `${method} ${path}: ${JSON.stringify(res.body)}`);
    }
  });

  it("lists accounts newest first, page by page, and finds them by e-mail, phone or name", async () => {
    const tag = `Pager${Date.now().toString(36)}`;
    const users: TestUser[] = [];
    for (let i = 0; i < 5; i++) users.push(await createTestUser(h.services, { fullName: `${tag} ${i}` }));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { users: Array<{ id: string; fullName: string }>; nextCursor: string | null } } =
        await h.call("GET", `/api/admin/users?limit=2&query=${tag}${cursor ? `&cursor=${cursor}` : ""}`, { token: admin.accessToken });
      assert.equal(res.status, 200);
      assert.ok(res.body.users.length <= 2);
      seen.push(...res.body.users.map((u) => u.fullName));
      cursor = res.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [4, 3, 2, 1, 0].map((i) => `${tag} ${i}`));
    const byEmail = await h.call("GET", `/api/admin/users?query=${encodeURIComponent(users[2]!.email.toUpperCase())}`, { token: admin.accessToken });
    assert.deepEqual(byEmail.body.users.map((u: { id: string }) => u.id), [users[2]!.userId]);
    const withPhone = await createTestUser(h.services, { phone: "+14155550199" });
    const byPhone = await h.call("GET", `/api/admin/users?query=${encodeURIComponent("+14155550199")}`, { token: admin.accessToken });
    assert.deepEqual(byPhone.body.users.map((u: { id: string }) => u.id), [withPhone.userId]);
    const wildcard = await h.call("GET", "/api/admin/users?query=%25", { token: admin.accessToken });
    assert.deepEqual(wildcard.body.users, [], "LIKE wildcards in the query are matched literally");
  });
});
