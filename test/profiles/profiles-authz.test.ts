import assert from "node:assert/strict";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { ApiClient, type ApiResponse } from "./api-client.js";
import { registerProfileUser, type ProfileUser } from "./profile-fixtures.js";

type ActorName = "self" | "other" | "blocked" | "blocker" | "anonymous" | "admin";
const ACTORS: ActorName[] = ["self", "other", "blocked", "blocker", "anonymous", "admin"];

/**
 * A target user T and one user per relation to T: a stranger, someone T
 * blocked, someone who blocked T, an admin, and R, whose follow request T has
 * not answered yet (when T is private).
 */
interface Scene {
  target: ProfileUser;
  requester: ProfileUser;
  actors: Record<Exclude<ActorName, "anonymous">, ProfileUser>;
}

const NO_USER: ProfileUser = { userId: "", token: "", profile: {} as ProfileUser["profile"], actor: { userId: "", sessionId: "", roles: [] } };
/** Lets `run` ask a request builder for its method before a scene exists. */
const EMPTY_SCENE: Scene = { target: NO_USER, requester: NO_USER, actors: { self: NO_USER, other: NO_USER, blocked: NO_USER, blocker: NO_USER, admin: NO_USER } };

describe("profiles API: authorisation matrix (self, other, blocked, blocker, anonymous, admin)", () => {
  let platform: Platform;
  let services: Services;
  let api: ApiClient;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    api = await ApiClient.start(platform, services);
  });
  after(async () => {
    await api.close();
    await platform.close();
  });

  async function scene(options: { privateTarget?: boolean } = {}): Promise<Scene> {
    const [target, other, blocked, blocker, admin, requester] = await Promise.all([
      registerProfileUser(services),
      registerProfileUser(services),
      registerProfileUser(services),
      registerProfileUser(services),
      registerProfileUser(services, { roles: ["admin"] }),
      registerProfileUser(services),
    ]);
    await services.profiles.updateOwn(target.actor, {
      socialLinks: [{ platform: "Site", url: "https://example.com/t" }],
      ...(options.privateTarget ? { privacy: { isPrivate: true } } : {}),
    });
    await services.blocks.block(target.actor, blocked.userId);
    await services.blocks.block(blocker.actor, target.userId);
    await services.follows.follow(requester.actor, target.userId);
    return { target, requester, actors: { self: target, other, blocked, blocker, admin } };
  }

  /** Runs one request per actor against a fresh scene; returns status per actor (and the responses). */
  async function run(
    request: (s: Scene, actor: ProfileUser | undefined) => { method: string; path: string; body?: unknown },
    options: { privateTarget?: boolean } = {},
  ): Promise<{ statuses: Record<ActorName, number>; responses: Record<ActorName, ApiResponse>; scene: Scene }> {
    const statuses = {} as Record<ActorName, number>;
    const responses = {} as Record<ActorName, ApiResponse>;
    const readOnly = request(EMPTY_SCENE, undefined).method === "GET";
    let s: Scene | undefined = readOnly ? await scene(options) : undefined;
    for (const name of ACTORS) {
      // Writes get a fresh scene per actor: one actor's follow or block never changes what the next one sees.
      if (!readOnly || !s) s = await scene(options);
      const actor = name === "anonymous" ? undefined : s.actors[name];
      const { method, path, body } = request(s, actor);
      const res = await api.call(method, path, { ...(actor ? { token: actor.token } : {}), ...(body === undefined ? {} : { body }) });
      statuses[name] = res.status;
      responses[name] = res;
    }
    return { statuses, responses, scene: s as Scene };
  }

  const expectStatuses = (actual: Record<ActorName, number>, expected: Record<ActorName, number>): void =>
    assert.deepEqual(actual, expected);

  it("GET /api/profiles/:userId — blocked either way reads as absent; anonymous sees public profiles", async () => {
    const { statuses, responses } = await run((s) => ({ method: "GET", path: `/api/profiles/${s.target.userId}` }));
    expectStatuses(statuses, { self: 200, other: 200, blocked: 404, blocker: 404, anonymous: 200, admin: 200 });
    assert.ok(responses.self.body.profile.privacy, "the owner sees their settings");
    assert.equal(responses.other.body.profile.privacy, undefined);
    assert.equal(responses.anonymous.body.profile.relationship, undefined);
    assert.equal(responses.blocked.body.error.code, "PROFILE_NOT_FOUND");
  });

  it("GET /api/profiles/:userId of a private account — reduced view except for the owner and admins", async () => {
    const { statuses, responses } = await run((s) => ({ method: "GET", path: `/api/profiles/${s.target.userId}` }), { privateTarget: true });
    expectStatuses(statuses, { self: 200, other: 200, blocked: 404, blocker: 404, anonymous: 200, admin: 200 });
    assert.equal(responses.other.body.profile.socialLinks, undefined);
    assert.equal(responses.anonymous.body.profile.socialLinks, undefined);
    assert.equal(responses.admin.body.profile.socialLinks.length, 1);
    assert.equal(responses.self.body.profile.socialLinks.length, 1);
  });

  it("GET /api/profiles/by-username/:username — same rules as by id", async () => {
    const { statuses } = await run((s) => ({ method: "GET", path: `/api/profiles/by-username/${s.target.profile.username}` }));
    expectStatuses(statuses, { self: 200, other: 200, blocked: 404, blocker: 404, anonymous: 200, admin: 200 });
  });

  for (const list of ["followers", "following"] as const) {
    it(`GET /api/profiles/:userId/${list} — public account`, async () => {
      const { statuses } = await run((s) => ({ method: "GET", path: `/api/profiles/${s.target.userId}/${list}` }));
      expectStatuses(statuses, { self: 200, other: 200, blocked: 404, blocker: 404, anonymous: 401, admin: 200 });
    });

    it(`GET /api/profiles/:userId/${list} — private account: owner, accepted followers and admins only`, async () => {
      const { statuses } = await run((s) => ({ method: "GET", path: `/api/profiles/${s.target.userId}/${list}` }), { privateTarget: true });
      expectStatuses(statuses, { self: 200, other: 403, blocked: 404, blocker: 404, anonymous: 401, admin: 200 });
    });
  }

  it("POST /api/profiles/:userId/follow — blocked by them: absent; having blocked them: BLOCKED", async () => {
    const { statuses, responses } = await run((s) => ({ method: "POST", path: `/api/profiles/${s.target.userId}/follow` }));
    expectStatuses(statuses, { self: 400, other: 200, blocked: 404, blocker: 403, anonymous: 401, admin: 200 });
    assert.equal(responses.blocker.body.error.code, "BLOCKED");
  });

  it("DELETE /api/profiles/:userId/follow — idempotent; reveals nothing about blocks", async () => {
    const { statuses } = await run((s) => ({ method: "DELETE", path: `/api/profiles/${s.target.userId}/follow` }));
    expectStatuses(statuses, { self: 400, other: 204, blocked: 204, blocker: 204, anonymous: 401, admin: 204 });
  });

  it("POST /api/profiles/:userId/block — anyone may block anyone else, even someone who blocked them", async () => {
    const { statuses } = await run((s) => ({ method: "POST", path: `/api/profiles/${s.target.userId}/block` }));
    expectStatuses(statuses, { self: 400, other: 204, blocked: 204, blocker: 204, anonymous: 401, admin: 204 });
  });

  it("DELETE /api/profiles/:userId/block — lifts only the caller's own block", async () => {
    const { statuses } = await run((s) => ({ method: "DELETE", path: `/api/profiles/${s.target.userId}/block` }));
    expectStatuses(statuses, { self: 400, other: 204, blocked: 204, blocker: 204, anonymous: 401, admin: 204 });
    // The blocked user "unblocking" the target does not lift the target's block on them.
    const s = await scene();
    await api.call("DELETE", `/api/profiles/${s.target.userId}/block`, { token: s.actors.blocked.token });
    assert.equal((await api.call("GET", `/api/profiles/${s.target.userId}`, { token: s.actors.blocked.token })).status, 404);
  });

  it("PUT /api/profiles/:userId/verification — admins only", async () => {
    const { statuses } = await run((s) => ({ method: "PUT", path: `/api/profiles/${s.target.userId}/verification`, body: { verified: true } }));
    expectStatuses(statuses, { self: 403, other: 403, blocked: 403, blocker: 403, anonymous: 401, admin: 200 });
  });

  it("GET /api/profiles/search — blocked either way never appear; anonymous refused", async () => {
    const { statuses, responses } = await run((s) => ({ method: "GET", path: `/api/profiles/search?mode=prefix&q=${s.target.profile.username}` }));
    expectStatuses(statuses, { self: 200, other: 200, blocked: 200, blocker: 200, anonymous: 401, admin: 200 });
    const found = (name: ActorName): number => (responses[name].body.items as unknown[]).length;
    assert.deepEqual(
      { self: found("self"), other: found("other"), blocked: found("blocked"), blocker: found("blocker"), admin: found("admin") },
      { self: 1, other: 1, blocked: 0, blocker: 0, admin: 1 },
    );
  });

  it("GET and PATCH /api/profiles/me — each caller reads and edits only their own profile", async () => {
    const got = await run(() => ({ method: "GET", path: "/api/profiles/me" }));
    expectStatuses(got.statuses, { self: 200, other: 200, blocked: 200, blocker: 200, anonymous: 401, admin: 200 });
    const patched = await run(() => ({ method: "PATCH", path: "/api/profiles/me", body: { bio: "mine" } }));
    expectStatuses(patched.statuses, { self: 200, other: 200, blocked: 200, blocker: 200, anonymous: 401, admin: 200 });
    const s = patched.scene;
    for (const name of ["self", "other", "blocked", "blocker", "admin"] as const) {
      assert.equal(patched.responses[name].body.profile.bio, "mine");
    }
    assert.equal((await services.profiles.getOwn(s.target.actor)).bio, "", "the last scene's target was not edited by another actor");
  });

  it("GET /api/profiles/me/follow-requests and /me/blocked — only the caller's own lists", async () => {
    const requests = await run(() => ({ method: "GET", path: "/api/profiles/me/follow-requests" }), { privateTarget: true });
    expectStatuses(requests.statuses, { self: 200, other: 200, blocked: 200, blocker: 200, anonymous: 401, admin: 200 });
    assert.equal(requests.responses.self.body.items.length, 1);
    for (const name of ["other", "blocked", "blocker", "admin"] as const) assert.deepEqual(requests.responses[name].body.items, []);
    const blocked = await run(() => ({ method: "GET", path: "/api/profiles/me/blocked" }));
    expectStatuses(blocked.statuses, { self: 200, other: 200, blocked: 200, blocker: 200, anonymous: 401, admin: 200 });
    assert.equal(blocked.responses.self.body.items.length, 1, "the target blocked one user");
    assert.equal(blocked.responses.blocker.body.items.length, 1, "the blocker blocked the target");
    for (const name of ["other", "blocked", "admin"] as const) assert.deepEqual(blocked.responses[name].body.items, []);
  });

  for (const action of ["accept", "decline"] as const) {
    it(`POST /api/profiles/me/follow-requests/:userId/${action} — only the requested account can answer`, async () => {
      const { statuses } = await run(
        (s) => ({ method: "POST", path: `/api/profiles/me/follow-requests/${s.requester.userId}/${action}` }),
        { privateTarget: true },
      );
      expectStatuses(statuses, { self: action === "accept" ? 200 : 204, other: 404, blocked: 404, blocker: 404, anonymous: 401, admin: 404 });
    });
  }

  it("refuses expired, forged and malformed tokens on every kind of route", async () => {
    const s = await scene();
    const expired = await services.tokens.sign({ userId: s.target.userId, sessionId: "00000000-0000-4000-8000-000000000000", roles: ["user"] }, -60);
    const forged = `${s.target.token.slice(0, -4)}AAAA`;
    for (const token of [expired, forged, "not.a.jwt", "x".repeat(5000)]) {
      for (const [method, path] of [
        ["GET", "/api/profiles/me"],
        ["GET", `/api/profiles/${s.target.userId}`],
        ["POST", `/api/profiles/${s.target.userId}/follow`],
      ] as const) {
        const res = await api.call(method, path, { token });
        assert.equal(res.status, 401, `${method} ${path} with a bad token`);
      }
    }
  });
});
