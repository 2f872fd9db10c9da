/** `npm run migrate`: PostgreSQL migrations plus MongoDB validators and indexes. */
import { createLogger } from "../shared/logging/logger.js";
import { migrateAll } from "../shared/db/migrate.js";
import { loadConfigOrExit } from "../shared/runtime/boot.js";

const config = loadConfigOrExit();
const logger = createLogger(config).child({ role: "migrate" });
if (!config.MONGO_URL) {
  logger.fatal("MONGO_URL is required for `npm run migrate` (`npm start` migrates its embedded server by itself)");
  process.exit(78);
}
try {
  await migrateAll(config, logger, config.MONGO_URL);
  process.exit(0);
} catch (error) {
  logger.fatal({ err: error }, "migration failed");
  process.exit(1);
}
