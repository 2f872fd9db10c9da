import type { ApiDeps } from "../app.js";
import type { RouteGroup } from "../http/route.js";
import { adminRoutes } from "./admin.routes.js";
import { authRoutes } from "./auth.routes.js";
import { callsRoutes } from "./calls.routes.js";
import { chatRoutes } from "./chat.routes.js";
import { feedRoutes } from "./feed.routes.js";
import { hashtagsRoutes } from "./hashtags.routes.js";
import { mediaRoutes } from "./media.routes.js";
import { RedisTusLocker } from "../../shared/media/tus-redis-locker.js";
import { meRoutes } from "./me.routes.js";
import { notificationsRoutes } from "./notifications.routes.js";
import { postsRoutes } from "./posts.routes.js";
import { profilesRoutes } from "./profiles.routes.js";
import { videosRoutes } from "./videos.routes.js";

/**
 * Every declared resource group of the API, mounted under /api in this order.
 * Each file declares its routes (method, path, auth, rate class, schemas of
 * params, query and body) and receives only the services its handlers call.
 */
export function apiRouteGroups({ platform, services }: ApiDeps): RouteGroup[] {
  return [
    authRoutes(services),
    meRoutes(services),
    adminRoutes(services),
    profilesRoutes(services),
    chatRoutes(services),
    videosRoutes(services),
    mediaRoutes(services, new RedisTusLocker(platform.redis, platform.logger.child({ domain: "media" }))),
    postsRoutes(services),
    feedRoutes(services),
    hashtagsRoutes(services),
    callsRoutes(services),
    notificationsRoutes(services, platform.config.NODE_ENV !== "production"),
  ];
}
