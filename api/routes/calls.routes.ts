import { callIdParamsSchema, historyQuerySchema } from "../../shared/calls/call.schema.js";
import type { Services } from "../../shared/runtime/services.js";
import { defineRoute, type RouteGroup } from "../http/route.js";

/**
 * /api/calls: the caller's call history (filters status, mediaType, peer,
 * missedOnly; cursor-paginated), STUN/TURN servers with time-limited TURN
 * credentials, and one call. A call the caller was not part of answers 404
 * CALL_NOT_FOUND, exactly like a missing one. Call control is on the gateway.
 */
export function callsRoutes({ calls }: Pick<Services, "calls">): RouteGroup {
  return {
    prefix: "/calls",
    tag: "calls",
    routes: [
      defineRoute({
        method: "get", path: "/", summary: "The caller's call history", auth: "required", rate: "read", query: historyQuerySchema,
        handler: ({ actor, query }) => calls.history.history(actor.userId, query),
      }),
      defineRoute({
        method: "get", path: "/ice-servers", summary: "STUN/TURN servers with time-limited TURN credentials", auth: "required", rate: "read",
        handler: ({ actor, res }) => {
          res.set("cache-control", "no-store");
          return calls.iceServers.forUser(actor.userId);
        },
      }),
      defineRoute({
        method: "get", path: "/:id", summary: "One call of the caller (with its live state while it lasts)", auth: "required", rate: "read", params: callIdParamsSchema,
        handler: ({ actor, params }) => calls.history.get(actor.userId, params.id),
      }),
    ],
  };
}
