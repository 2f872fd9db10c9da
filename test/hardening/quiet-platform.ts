import { loadConfig } from "../../shared/config/config.js";
import { createLogger } from "../../shared/logging/logger.js";
import { createPlatform, type Platform } from "../../shared/runtime/platform.js";
import { createServices, type Services } from "../../shared/runtime/services.js";
import { testEnv } from "../helpers/test-env.js";

/**
 * `createTestPlatform` with errors-only logging: these tests send thousands of
 * requests that are meant to be refused, and each 4xx would log a warning.
 */
export async function createQuietPlatform(): Promise<{ platform: Platform; services: Services }> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: "error" });
  const platform = await createPlatform(config, createLogger(config).child({ role: "test" }), testEnv.mongoUrl);
  return { platform, services: createServices(platform) };
}
