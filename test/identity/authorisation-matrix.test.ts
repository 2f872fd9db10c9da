import assert from "node:assert/strict";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { IdentityHarness, uniqueEmail } from "./identity-fixtures.js";

type ActorName = "anonymous" | "other" | "blocked" | "self" | "admin";
const ACTORS: readonly ActorName[] = ["anonymous", "other", "blocked", "self", "admin"];

interface Cast {
  /** Whose account, sessions or data the route is aimed at. */
  target: TestUser;
  other: TestUser;
  /** Blocked by the target (blocks are a social matter: they change nothing in identity). */
  blocked: TestUser;
  admin: TestUser;
}

interface Row {
  method: string;
  path: (cast: Cast) => string;
  body?: (actor: TestUser | undefined, cast: Cast) => unknown;
  expect: Record<ActorName, number>;
}

const authed = (status: number): Record<ActorName, number> => ({ anonymous: 401, other: status, blocked: status, self: status, admin: status });
const adminOnly = (status: number): Record<ActorName, number> => ({ anonymous: 401, other: 403, blocked: 403, self: 403, admin: status });
const open = (status: number): Record<ActorName, number> => ({ anonymous: status, other: status, blocked: status, self: status, admin: status });

/** Every identity route; each row runs against fresh users, actors in the order above (self and admin last). */
const ROWS: Row[] = [
  { method: "GET", path: () => "/api/me", expect: authed(200) },
  { method: "PATCH", path: () => "/api/me", body: () => ({ bio: "changed by the caller" }), expect: authed(200) },
  { method: "GET", path: () => "/api/auth/sessions", expect: authed(200) },
  { method: "DELETE", path: (c) => `/api/auth/sessions/${c.target.sessionId}`, expect: { anonymous: 401, other: 404, blocked: 404, self: 204, admin: 404 } },
  { method: "DELETE", path: () => "/api/auth/sessions", expect: authed(200) },
  { method: "POST", path: () => "/api/auth/logout", expect: authed(204) },
  { method: "POST", path: () => "/api/auth/verify-email/resend", expect: authed(202) },
  { method: "POST", path: () => "/api/auth/password/change", body: (a) => ({ currentPassword: a?.password ?? "x", newPassword: "Matrix-new-passphrase-1" }), expect: authed(200) },
  { method: "POST", path: () => "/api/auth/2fa/setup", body: (a) => ({ password: a?.password ?? "x" }), expect: authed(200) },
  { method: "POST", path: () => "/api/auth/2fa/enable", body: () => ({ code: "000000" }), expect: authed(400) },
  { method: "POST", path: () => "/api/auth/2fa/disable", body: (a) => ({ password: a?.password ?? "x", code: "000000" }), expect: authed(409) },
  { method: "GET", path: () => "/api/admin/users", expect: adminOnly(200) },
  { method: "POST", path: (c) => `/api/admin/users/${c.target.userId}/disable`, expect: adminOnly(200) },
  { method: "POST", path: (c) => `/api/admin/users/${c.target.userId}/enable`, expect: adminOnly(200) },
  { method: "POST", path: (c) => `/api/admin/users/${c.target.userId}/roles`, body: () => ({ role: "moderator" }), expect: adminOnly(200) },
  { method: "DELETE", path: (c) => `/api/admin/users/${c.target.userId}/roles/moderator`, expect: adminOnly(200) },
  // Anonymous routes: a bearer token changes nothing; what counts is what the body proves.
  { method: "POST", path: () => "/api/auth/register", body: () => ({ email: uniqueEmail(), password: "Matrix-passphrase-1", fullName: "M" }), expect: open(201) },
  { method: "POST", path: () => "/api/auth/login", body: (_a, c) => ({ email: c.target.email, password: c.target.password }), expect: open(200) },
  { method: "POST", path: () => "/api/auth/login", body: (_a, c) => ({ email: c.target.email, password: "not-the-password" }), expect: open(401) },
  { method: "POST", path: () => "/api/auth/login/2fa", body: () => ({ challengeToken: "x".repeat(40), code: "000000" }), expect: open(401) },
  { method: "POST", path: () => "/api/auth/refresh", body: () => ({ refreshToken: "C".repeat(43) }), expect: open(401) },
  { method: "POST", path: () => "/api/auth/verify-email", body: () => ({ token: "D".repeat(43) }), expect: open(400) },
  { method: "POST", path: () => "/api/auth/password/forgot", body: () => ({ email: uniqueEmail() }), expect: open(202) },
  { method: "POST", path: () => "/api/auth/password/reset", body: () => ({ token: "E".repeat(43), newPassword: "Matrix-passphrase-2" }), expect: open(400) },
];

describe("identity: authorisation matrix (anonymous, other, blocked, self, admin) for every route", () => {
  let h: IdentityHarness;

  before(async () => {
    h = await IdentityHarness.start();
  });
  after(async () => {
    await h.close();
  });

  async function cast(): Promise<Cast> {
    const [target, other, blocked, admin] = await Promise.all([
      createTestUser(h.services),
      createTestUser(h.services),
      createTestUser(h.services),
      createTestUser(h.services, { roles: ["admin"] }),
    ]);
    await h.services.blocks.block({ userId: target.userId, sessionId: target.sessionId, roles: ["user"] }, blocked.userId);
    return { target, other, blocked, admin };
  }

  for (const row of ROWS) {
    it(`${row.method} ${row.path({ target: { userId: ":id", sessionId: ":id" } } as unknown as Cast)}`, async () => {
      const c = await cast();
      const targetBio = (await h.services.users.get({ userId: c.target.userId, sessionId: c.target.sessionId, roles: [] })).bio;
      for (const name of ACTORS) {
        const actor = name === "anonymous" ? undefined : name === "self" ? c.target : c[name];
        const res = await h.call(row.method, row.path(c), { ...(actor ? { token: actor.accessToken } : {}), ...(row.body ? { body: row.body(actor, c) } : {}) });
        assert.equal(res.status, row.expect[name], `${name}: ${res.status} ${JSON.stringify(res.body)}`);
        if (name === "other" || name === "blocked") {
          // Nobody else can end the target's session or change its account (they run before the target itself).
          assert.equal((await h.call("GET", "/api/me", { token: c.target.accessToken })).status, 200, `target still signed in after ${name}`);
          const current = await h.services.users.get({ userId: c.target.userId, sessionId: c.target.sessionId, roles: [] });
          assert.equal(current.bio, targetBio, `target's account unchanged by ${name}`);
        }
        if (res.status === 200 && row.path(c) === "/api/me") assert.equal(res.body.user.id, actor?.userId, "each caller sees only their own account");
        if (res.status === 200 && row.method === "GET" && row.path(c) === "/api/auth/sessions") {
          assert.ok(res.body.sessions.every((s: { id: string }) => actor === c.target || s.id !== c.target.sessionId), "no one lists another user's sessions");
        }
      }
    });
  }
});
