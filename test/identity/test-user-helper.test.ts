import assert from "node:assert/strict";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { createTestUser } from "../helpers/users.js";

describe("identity: createTestUser helper", () => {
  let platform: Platform;
  let services: Services;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
  });
  after(async () => {
    await platform.close();
  });

  it("registers a user with a live session, the default role and a profile", async () => {
    const user = await createTestUser(services);
    const claims = await services.accessGuard.authenticate(user.accessToken);
    assert.equal(claims.userId, user.userId);
    assert.equal(claims.sessionId, user.sessionId);
    assert.deepEqual(claims.roles, ["user"]);
    const profile = await services.profiles.ensureProfile({ userId: user.userId, displayName: "ignored" });
    assert.equal(profile.displayName, user.fullName);
    assert.equal(await services.profileProvisioner.complete(user.userId), true);
  });

  it("grants extra roles, carried by the returned access token", async () => {
    const admin = await createTestUser(services, { roles: ["admin"] });
    const claims = await services.accessGuard.authenticate(admin.accessToken);
    assert.deepEqual(claims.roles, ["admin", "user"]);
  });
});
