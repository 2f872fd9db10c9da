import { z } from "zod";
import { hashtagSchema, listQuerySchema } from "../../shared/posts/post.schema.js";
import type { Services } from "../../shared/runtime/services.js";
import { defineRoute, type RouteGroup } from "../http/route.js";

const tagParams = z.strictObject({ tag: hashtagSchema });
const trendingQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) });

/** /api/hashtags: trending hashtags and the posts of a hashtag (privacy-filtered for the caller). */
export function hashtagsRoutes({ posts }: Pick<Services, "posts">): RouteGroup {
  return {
    prefix: "/hashtags",
    tag: "posts",
    routes: [
      defineRoute({
        method: "get", path: "/trending", summary: "Trending hashtags", auth: "optional", rate: "read", query: trendingQuery,
        handler: async ({ query }) => ({ items: await posts.trends.trending(query.limit) }),
      }),
      defineRoute({
        method: "get", path: "/:tag/posts", summary: "Posts of a hashtag the caller may see", auth: "optional", rate: "read", params: tagParams, query: listQuerySchema,
        handler: ({ actor, params, query }) => posts.queries.byHashtag(actor, params.tag, query),
      }),
    ],
  };
}
