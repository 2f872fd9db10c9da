import { loadConfig } from "../../shared/config/config.js";
import { createLogger } from "../../shared/logging/logger.js";
import { createPlatform, type Platform } from "../../shared/runtime/platform.js";
import { createServices, type Services } from "../../shared/runtime/services.js";
import { testEnv } from "./test-env.js";

/** The stores and services, in-process, against this run's isolated stores. */
export async function createTestPlatform(): Promise<{ platform: Platform; services: Services }> {
  const config = loadConfig();
  const platform = await createPlatform(config, createLogger(config).child({ role: "test" }), testEnv.mongoUrl);
  return { platform, services: createServices(platform) };
}
