import { Router } from "express";
import type { ApiDeps } from "../app.js";

/**
 * Every resource router of the API, mounted under /api. Each lives in its own
 * file and only parses input, calls one service method and shapes the result.
 */
export function apiRoutes(_deps: ApiDeps): Router {
  const router = Router();
  return router;
}
