import assert from "node:assert/strict";
import { createIdentityModule, type AuthServices } from "../../shared/auth/identity.module.js";
import type { ProfileWriter } from "../../shared/auth/profile-provisioner.js";
import { Transactor } from "../../shared/db/transactor.js";
import { waitFor } from "../helpers/ports.js";
import { spawnRole, type RoleProcess } from "../helpers/processes.js";
import { createTestUser } from "../helpers/users.js";
import { IdentityHarness, uniqueEmail } from "./identity-fixtures.js";

describe("identity: the account (/api/me) and its profile", () => {
  let h: IdentityHarness;
  let worker: RoleProcess | undefined;

  before(async () => {
    h = await IdentityHarness.start();
  });
  after(async () => {
    await worker?.stop();
    await h.close();
  });

  describe("GET and PATCH /api/me", () => {
    it("returns the caller's account and changes the editable fields", async () => {
      const user = await createTestUser(h.services);
      const me = await h.call("GET", "/api/me", { token: user.accessToken });
      assert.equal(me.status, 200);
      assert.deepEqual(Object.keys(me.body.user).sort(), [
        "bio", "countryCode", "createdAt", "email", "emailVerified", "emailVerifiedAt", "fullName", "id", "phoneNumber",
        "phoneVerifiedAt", "profilePictureUrl", "roles", "status", "timezone", "twoFactorEnabled", "updatedAt",
      ]);
      const patch = await h.call("PATCH", "/api/me", {
        token: user.accessToken,
        body: { fullName: "Grace Hopper", bio: "Compilers.", profilePictureUrl: "https://cdn.example.test/g.png", timezone: "America/New_York" },
      });
      assert.equal(patch.status, 200, JSON.stringify(patch.body));
      assert.deepEqual(
        [patch.body.user.fullName, patch.body.user.bio, patch.body.user.profilePictureUrl, patch.body.user.timezone],
        ["Grace Hopper", "Compilers.", "https://cdn.example.test/g.png", "America/New_York"],
      );
      assert.ok(patch.body.user.updatedAt > me.body.user.updatedAt, "the trigger moved updated_at");
      const cleared = await h.call("PATCH", "/api/me", { token: user.accessToken, body: { bio: null } });
      assert.equal(cleared.body.user.bio, null);
      assert.equal(cleared.body.user.fullName, "Grace Hopper");
    });

    it("refuses invalid changes and changes nothing", async () => {
      const user = await createTestUser(h.services);
      const bad = [
        {},
        { email: "new@example.test" },
        { fullName: "" },
        { fullName: 7 },
        { bio: "b".repeat(501) },
        { profilePictureUrl: "javascript:alert(1)" },
        { timezone: "Nowhere/Never" },
        { $set: { fullName: "x" } },
        { fullName: "ok", status: "disabled" },
      ];
      for (const body of bad) {
        const res = await h.call("PATCH", "/api/me", { token: user.accessToken, body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.error.code, "VALIDATION_FAILED");
      }
      const me = await h.call("GET", "/api/me", { token: user.accessToken });
      assert.deepEqual([me.body.user.fullName, me.body.user.status], [user.fullName, "active"]);
    });
  });

  describe("no account without a profile, even when the first profile write fails", () => {
    /** The identity services with a profile writer whose first `failures` calls fail. */
    function flakyIdentity(failures: number): { identity: AuthServices; calls: () => number } {
      let calls = 0;
      const writer: ProfileWriter = {
        async ensureProfile(input) {
          calls++;
          if (calls <= failures) throw new Error("profile store unavailable");
          return h.services.profiles.ensureProfile(input);
        },
      };
      const { platform } = h;
      const { services: identity } = createIdentityModule({
        config: platform.config,
        logger: platform.logger,
        pool: platform.pg,
        transactor: new Transactor(platform.pg),
        redis: platform.redis,
        realtime: platform.realtime,
        events: h.services.events,
        jobs: platform.jobs,
        tokens: h.services.tokens,
        rateLimiter: h.services.rateLimiter,
        profiles: writer,
      });
      return { identity, calls: () => calls };
    }

    async function profileExists(userId: string): Promise<boolean> {
      return h.services.profiles.exists(userId);
    }

    async function pending(userId: string): Promise<number> {
      const { rows } = await h.platform.pg.query("SELECT count(*)::int AS n FROM profile_provisioning WHERE user_id = $1", [userId]);
      return rows[0].n;
    }

    it("registers anyway, queues a retry job, and GET /api/me completes the profile", async () => {
      const { identity } = flakyIdentity(1);
      const signedIn = await identity.auth.register({ email: uniqueEmail(), password: "Correct-Horse-Battery-9", fullName: "Flaky First" }, {});
      const userId = signedIn.user.id;
      assert.equal(await pending(userId), 1);
      assert.equal(await profileExists(userId), false);
      const job = await h.platform.jobs.queue("maintenance").getJob(`profile-provision-${userId}`);
      assert.ok(job, "a retry job was queued");
      assert.deepEqual(job.data, { userId });
      const { rows } = await h.platform.pg.query("SELECT attempts, last_error FROM profile_provisioning WHERE user_id = $1", [userId]);
      assert.deepEqual(rows[0], { attempts: 1, last_error: "profile store unavailable" });

      await identity.users.get({ userId, sessionId: signedIn.sessionId, roles: ["user"] });
      assert.equal(await pending(userId), 0);
      assert.equal(await profileExists(userId), true);
      await job.remove();
    });

    it("the daily maintenance sweep completes pending profiles", async () => {
      const { identity } = flakyIdentity(1);
      const signedIn = await identity.auth.register({ email: uniqueEmail(), password: "Correct-Horse-Battery-9", fullName: "Flaky Sweep" }, {});
      await h.platform.jobs.queue("maintenance").remove(`profile-provision-${signedIn.user.id}`);
      await h.platform.pg.query("UPDATE profile_provisioning SET created_at = now() - interval '5 minutes' WHERE user_id = $1", [signedIn.user.id]);
      const results = await h.services.maintenance.run("daily");
      assert.ok((results["auth.pending-profiles"]?.completed ?? 0) >= 1, JSON.stringify(results));
      assert.equal(await pending(signedIn.user.id), 0);
      assert.equal(await profileExists(signedIn.user.id), true);
    });

    it("a worker process runs the queued retry and completes the profile", async () => {
      const { identity } = flakyIdentity(1);
      const signedIn = await identity.auth.register({ email: uniqueEmail(), password: "Correct-Horse-Battery-9", fullName: "Flaky Worker" }, {});
      assert.equal(await pending(signedIn.user.id), 1);
      worker = await spawnRole("worker", { WORKER_QUEUES: "maintenance" });
      await waitFor(async () => (await pending(signedIn.user.id)) === 0, 20_000, "the worker to complete the profile");
      assert.equal(await profileExists(signedIn.user.id), true);
    });
  });
});
