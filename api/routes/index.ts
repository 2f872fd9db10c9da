import { Router } from "express";
import type { ApiDeps } from "../app.js";
import type { RouteGroup } from "../http/route.js";
import { adminRoutes } from "./admin.routes.js";
import { authRoutes } from "./auth.routes.js";
import { callsRoutes } from "./calls.routes.js";
import { chatRoutes } from "./chat.routes.js";
import { mediaRoutes } from "./media.routes.js";
import { meRoutes } from "./me.routes.js";
import { feedRoutes } from "./feed.routes.js";
import { hashtagsRoutes } from "./hashtags.routes.js";
import { postsRoutes } from "./posts.routes.js";
import { notificationsRoutes } from "./notifications.routes.js";
import { profilesRoutes } from "./profiles.routes.js";
import { videosRoutes } from "./videos.routes.js";

/**
 * Every declared resource group of the API, mounted under /api. Each file
 * declares its routes (method, path, auth, rate class, schemas) and receives
 * only the services its handlers call.
 */
export function apiRouteGroups({ services }: ApiDeps): RouteGroup[] {
  return [
    authRoutes(services),
    meRoutes(services),
    adminRoutes(services),
    profilesRoutes(services),
    feedRoutes(services),
    hashtagsRoutes(services),
    callsRoutes(services),
    chatRoutes(services),
  ];
}

/** Resource routers not yet declared, mounted under /api after the declared groups. */
export function apiRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.use("/videos", videosRoutes(deps));
  router.use("/media", mediaRoutes(deps));
  router.use("/posts", postsRoutes(deps));
  router.use("/notifications", notificationsRoutes(deps));
  return router;
}
