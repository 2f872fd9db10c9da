import { updateMeSchema } from "../../shared/auth/auth.schema.js";
import type { Services } from "../../shared/runtime/services.js";
import { defineRoute, requestMeta, type RouteGroup } from "../http/route.js";

/** /api/me: the signed-in user's account (identity data; the social profile is /api/profiles/me). */
export function meRoutes({ users }: Pick<Services, "users">): RouteGroup {
  return {
    prefix: "/me",
    tag: "account",
    routes: [
      defineRoute({
        method: "get", path: "/", summary: "The caller's account", auth: "required", rate: "read",
        handler: async ({ actor }) => ({ user: await users.get(actor) }),
      }),
      defineRoute({
        method: "patch", path: "/", summary: "Change the caller's account data", auth: "required", rate: "write", body: updateMeSchema,
        handler: async ({ actor, body, req }) => ({ user: await users.update(actor, body, requestMeta(req)) }),
      }),
    ],
  };
}
