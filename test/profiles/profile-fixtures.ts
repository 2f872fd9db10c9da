import { randomUUID } from "node:crypto";
import type { Actor } from "../../shared/auth/actor.js";
import type { Profile } from "../../shared/profiles/profile.types.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestUser } from "../helpers/users.js";

/** A user with a profile; `token` is set for registered users (real account and session). */
export interface ProfileUser {
  userId: string;
  token: string;
  profile: Profile;
  /** The acting user as services take it. */
  actor: Actor;
}

/** Registers a real user (account, session, profile) through the identity service. */
export async function registerProfileUser(services: Services, options: { roles?: string[] } = {}): Promise<ProfileUser> {
  const user = await createTestUser(services, options.roles ? { roles: options.roles } : {});
  const profile = await services.profiles.ensureProfile({ userId: user.userId, displayName: user.fullName });
  return { userId: user.userId, token: user.accessToken, profile, actor: { userId: user.userId, sessionId: user.sessionId, roles: ["user", ...(options.roles ?? [])] } };
}

/**
 * A profile without an account, through the same `ensureProfile` registration
 * uses: enough for service-level tests, which act with an explicit actor.
 */
export async function createProfileUser(
  services: Services,
  options: { displayName?: string; username?: string; roles?: string[] } = {},
): Promise<ProfileUser> {
  const userId = randomUUID();
  const profile = await services.profiles.ensureProfile({
    userId,
    displayName: options.displayName ?? `Tester ${userId.slice(0, 6)}`,
    ...(options.username ? { username: options.username } : {}),
  });
  return { userId, token: "", profile, actor: { userId, sessionId: randomUUID(), roles: options.roles ?? ["user"] } };
}

/** A username unique to this run (usernames are global). */
export function uniqueUsername(prefix = "u"): string {
  return `${prefix}_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
}

type Tuple<N extends number, T, R extends T[] = []> = R["length"] extends N ? R : Tuple<N, T, [...R, T]>;

/** `n` profiles at once, typed as a tuple so they destructure without undefined checks. */
export async function createProfileUsers<N extends number>(services: Services, n: N): Promise<Tuple<N, ProfileUser>> {
  return (await Promise.all(Array.from({ length: n }, () => createProfileUser(services)))) as Tuple<N, ProfileUser>;
}
