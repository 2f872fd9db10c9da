import { Router } from "express";
import type { ApiDeps } from "../app.js";
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
 * Every resource router of the API, mounted under /api. Each lives in its own
 * file and only parses input, calls one service method and shapes the result.
 */
export function apiRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.use("/auth", authRoutes(deps));
  router.use("/me", meRoutes(deps));
  router.use("/admin", adminRoutes(deps));
  router.use("/profiles", profilesRoutes(deps));
  router.use("/chat", chatRoutes(deps));
  router.use("/videos", videosRoutes(deps));
  router.use("/media", mediaRoutes(deps));
  router.use("/posts", postsRoutes(deps));
  router.use("/feed", feedRoutes(deps));
  router.use("/hashtags", hashtagsRoutes(deps));
  router.use("/calls", callsRoutes(deps));
  router.use("/notifications", notificationsRoutes(deps));
  return router;
}
