import { loadConfig } from "../../shared/config/config.js";
import { createLogger } from "../../shared/logging/logger.js";
import { createPlatform, type Platform } from "../../shared/runtime/platform.js";
import { composeModules, type Composition, type Services } from "../../shared/runtime/services.js";
import { testEnv } from "./test-env.js";

/**
 * The stores and the composed modules (services, job handlers, schedules), in
 * process, against this run's isolated stores; built once.
 */
export async function createTestPlatform(): Promise<{ platform: Platform; composition: Composition; services: Services }> {
  const config = loadConfig();
  const platform = await createPlatform(config, createLogger(config).child({ role: "test" }), testEnv.mongoUrl);
  const composition = composeModules(platform);
  return { platform, composition, services: composition.services };
}
