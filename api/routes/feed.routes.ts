import { feedQuerySchema } from "../../shared/posts/post.schema.js";
import type { Services } from "../../shared/runtime/services.js";
import { defineRoute, type RouteGroup } from "../http/route.js";

/** /api/feed: the caller's home feed, newest first (cursor pagination). */
export function feedRoutes({ posts }: Pick<Services, "posts">): RouteGroup {
  return {
    prefix: "/feed",
    tag: "posts",
    routes: [
      defineRoute({
        method: "get", path: "/", summary: "The caller's home feed, newest first", auth: "required", rate: "read", query: feedQuerySchema,
        handler: ({ actor, query }) => posts.feed.home(actor.userId, query),
      }),
    ],
  };
}
