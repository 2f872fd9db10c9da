import { Router } from "express";
import type { ApiDeps } from "../app.js";
import { chatRoutes } from "./chat.routes.js";
import { profilesRoutes } from "./profiles.routes.js";

/**
 * Every resource router of the API, mounted under /api. Each lives in its own
 * file and only parses input, calls one service method and shapes the result.
 */
export function apiRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.use("/profiles", profilesRoutes(deps));
  router.use("/chat", chatRoutes(deps));
  return router;
}
