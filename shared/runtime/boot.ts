import { loadConfig, ConfigError, type Config } from "../config/config.js";
import { createLogger, type Logger } from "../logging/logger.js";
import { GracefulShutdown } from "../lifecycle/shutdown.js";
import { createPlatform, type Platform } from "./platform.js";
import { composeModules, type JobRuntime, type Services } from "./services.js";

export interface Booted {
  config: Config;
  logger: Logger;
  platform: Platform;
  services: Services;
  /** Job handlers, hooks and schedules, for a process that runs workers. */
  jobs: JobRuntime;
  shutdown: GracefulShutdown;
}

/**
 * Common start of every entry point: configuration, logger, stores, services
 * and signal handling. `mongoUrl` overrides MONGO_URL (the all-in-one process
 * passes its embedded server's address).
 */
/** Every entry point's configuration: invalid variables are listed on stderr and the process exits 78. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

export async function boot(role: string, options: { mongoUrl?: string } = {}): Promise<Booted> {
  const config = loadConfigOrExit();
  const logger = createLogger(config).child({ role });
  const mongoUrl = options.mongoUrl ?? config.MONGO_URL;
  if (!mongoUrl) {
    logger.fatal("MONGO_URL is not set. Run `npm start` for the all-in-one process with the embedded server, or start one with `npm run mongo:embedded`.");
    process.exit(78);
  }
  const platform = await createPlatform(config, logger, mongoUrl);
  const { services, jobs } = composeModules(platform);
  const shutdown = new GracefulShutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled promise rejection"));
  return { config, logger, platform, services, jobs, shutdown };
}
