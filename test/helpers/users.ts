import { randomBytes } from "node:crypto";
import type { Services } from "../../shared/runtime/services.js";

export interface TestUser {
  userId: string;
  sessionId: string;
  /** With userId and sessionId, the user as an `Actor` for service calls. */
  roles: string[];
  accessToken: string;
  refreshToken: string;
  email: string;
  password: string;
  fullName: string;
}

export interface TestUserOverrides {
  email?: string;
  /** E.164, e.g. "+14155550123". */
  phone?: string;
  fullName?: string;
  password?: string;
  /** Roles granted on top of the default `user` role (e.g. ["admin"]). */
  roles?: string[];
}

let counter = 0;

/**
 * Registers a real user through the identity service (default role, MongoDB
 * profile, a live session) and returns its credentials. Roles in `overrides`
 * are granted afterwards, and the returned session is a fresh sign-in, so its
 * access token carries them.
 */
export async function createTestUser(services: Services, overrides: TestUserOverrides = {}): Promise<TestUser> {
  const unique = `${Date.now().toString(36)}${(counter++).toString(36)}${randomBytes(3).toString("hex")}`;
  const email = overrides.email ?? `user-${unique}@example.test`;
  const password = overrides.password ?? `Test-pass-${randomBytes(6).toString("hex")}`;
  const fullName = overrides.fullName ?? `Test User ${unique}`;
  const meta = { ip: "127.0.0.1", userAgent: "test-helper" };
  const registered = await services.auth.register(
    { email, password, fullName, ...(overrides.phone === undefined ? {} : { phone: overrides.phone }) },
    meta,
  );
  const extraRoles = overrides.roles?.filter((role) => role !== "user") ?? [];
  if (extraRoles.length === 0) {
    return { userId: registered.user.id, sessionId: registered.sessionId, roles: ["user"], accessToken: registered.accessToken, refreshToken: registered.refreshToken, email, password, fullName };
  }
  for (const role of extraRoles) await services.admin.grantRoleAsSystem(registered.user.id, role);
  const signedIn = await services.auth.login({ email, password }, meta);
  if (signedIn.twoFactorRequired) throw new Error("unexpected 2FA challenge for a new test user");
  return { userId: signedIn.user.id, sessionId: signedIn.sessionId, roles: ["user", ...extraRoles], accessToken: signedIn.accessToken, refreshToken: signedIn.refreshToken, email, password, fullName };
}
