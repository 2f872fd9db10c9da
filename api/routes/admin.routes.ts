import { adminListSchema, disableUserSchema, emptyBodySchema, grantRoleSchema, userIdParams, userRoleParams } from "../../shared/auth/auth.schema.js";
import { ADMIN_ROLE } from "../../shared/auth/admin.service.js";
import { announcementSchema } from "../../shared/notifications/notification.schema.js";
import type { Services } from "../../shared/runtime/services.js";
import { defineRoute, requestMeta, type RouteGroup } from "../http/route.js";

const admin = { role: ADMIN_ROLE } as const;

/** /api/admin: account administration and announcements, for the `admin` role (checked here and again by the services). */
export function adminRoutes({ admin: accounts, notifications }: Pick<Services, "admin" | "notifications">): RouteGroup {
  return {
    prefix: "/admin",
    tag: "admin",
    routes: [
      defineRoute({
        method: "get", path: "/users", summary: "Accounts, newest first (search, status filter, cursor)", auth: admin, rate: "read", query: adminListSchema,
        handler: ({ actor, query }) => accounts.listUsers(actor, query),
      }),
      defineRoute({
        method: "post", path: "/users/:id/disable", summary: "Disable an account (ends its sessions)", auth: admin, rate: "write", params: userIdParams, body: disableUserSchema.optional(),
        handler: ({ actor, params, body, req }) => accounts.disable(actor, params.id, body?.reason, requestMeta(req)),
      }),
      defineRoute({
        method: "post", path: "/users/:id/enable", summary: "Enable a disabled account", auth: admin, rate: "write", params: userIdParams, body: emptyBodySchema.optional(),
        handler: ({ actor, params, req }) => accounts.enable(actor, params.id, requestMeta(req)),
      }),
      defineRoute({
        method: "post", path: "/users/:id/roles", summary: "Grant a role", auth: admin, rate: "write", params: userIdParams, body: grantRoleSchema,
        handler: ({ actor, params, body, req }) => accounts.grantRole(actor, params.id, body.role, requestMeta(req)),
      }),
      defineRoute({
        method: "delete", path: "/users/:id/roles/:role", summary: "Revoke a role", auth: admin, rate: "write", params: userRoleParams,
        handler: ({ actor, params, req }) => accounts.revokeRole(actor, params.id, params.role, requestMeta(req)),
      }),
      defineRoute({
        method: "post", path: "/announcements", summary: "Queue a system announcement to every user", auth: admin, rate: "write", body: announcementSchema, status: 202,
        handler: ({ actor, body }) => notifications.announcements.announce(actor, body),
      }),
    ],
  };
}
