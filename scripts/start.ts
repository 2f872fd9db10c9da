/**
 * `npm start`: the whole system in one process for local use — API, a gateway
 * and the workers over the same stores. Without MONGO_URL, documents live in
 * the embedded MongoDB-compatible server, in memory.
 */
import { createLogger } from "../shared/logging/logger.js";
import { migrateAll } from "../shared/db/migrate.js";
import { boot, loadConfigOrExit } from "../shared/runtime/boot.js";
import { startApi } from "../api/server.js";
import { startGateway } from "../gateway/server.js";
import { startWorkers } from "../workers/worker-host.js";

const config = loadConfigOrExit();
const logger = createLogger(config).child({ role: "all" });
let mongoUrl: string | undefined = config.MONGO_URL;
let stopEmbedded: (() => Promise<void>) | undefined;
if (!mongoUrl) {
  const { startEmbeddedMongo } = await import("../shared/embedded-mongo/index.js");
  const embedded = await startEmbeddedMongo({ port: config.MONGO_EMBEDDED_PORT, log: (msg: string) => logger.info(msg) });
  mongoUrl = embedded.uri;
  stopEmbedded = embedded.stop;
  logger.warn({ uri: mongoUrl }, "MONGO_URL is not set: using the embedded MongoDB-compatible server; documents live in memory and are lost on exit");
}
if (!mongoUrl) throw new Error("unreachable: no MongoDB address");
await migrateAll(config, logger, mongoUrl);

const { platform, services, jobs, shutdown } = await boot("all", { mongoUrl });
const api = await startApi(platform, services, config.API_PORT);
const gateway = await startGateway(platform, services, config.GATEWAY_PORT);
const workers = await startWorkers(platform, jobs, config.WORKER_PORT);
shutdown
  .add("sockets", () => gateway.close())
  .add("http", () => api.close())
  .add("jobs", () => workers.close(Math.max(1_000, config.SHUTDOWN_TIMEOUT_MS - 2_000)))
  .add("events", () => services.events.flush())
  .add("stores", () => platform.close())
  .add("embedded-mongo", async () => stopEmbedded?.())
  .listen();
logger.info(
  { api: `http://${config.HOST}:${api.port}`, gateway: `http://${config.HOST}:${gateway.port}`, workers: workers.queues },
  "ChatWave is running",
);
