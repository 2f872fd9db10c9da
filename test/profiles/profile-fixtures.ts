import { randomUUID } from "node:crypto";
import type { Services } from "../../shared/runtime/services.js";
import type { Profile } from "../../shared/profiles/profile.types.js";

/** A user with a profile and a signed access token. */
export interface ProfileUser {
  userId: string;
  token: string;
  roles: string[];
  profile: Profile;
  /** The acting user as services take it. */
  actor: { userId: string; roles: string[] };
}

/**
 * Creates a profile through the same `ensureProfile` registration uses and
 * signs an access token for it. Profiles live in MongoDB, keyed by the
 * identity service's user id, so a fresh UUID stands in for an account.
 */
export async function createProfileUser(
  services: Services,
  options: { displayName?: string; username?: string; roles?: string[] } = {},
): Promise<ProfileUser> {
  const userId = randomUUID();
  const roles = options.roles ?? ["user"];
  const profile = await services.profiles.ensureProfile({
    userId,
    displayName: options.displayName ?? `Tester ${userId.slice(0, 6)}`,
    ...(options.username ? { username: options.username } : {}),
  });
  const token = await services.tokens.sign({ userId, sessionId: randomUUID(), roles });
  return { userId, token, roles, profile, actor: { userId, roles } };
}

/** A username unique to this run (usernames are global). */
export function uniqueUsername(prefix = "u"): string {
  return `${prefix}_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
}

/**
 * Closes a test platform. Bounded because the realtime publisher's close
 * currently never settles when its Socket.IO server was never attached
 * (`Server.close` throws on the missing engine before calling back).
 */
export async function closeTestPlatform(platform: { close(): Promise<void> }): Promise<void> {
  await Promise.race([platform.close(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
}
