import { boot } from "../shared/runtime/boot.js";
import { startWorkers } from "./worker-host.js";

const { config, platform, services, jobs, shutdown } = await boot("worker");
const workers = await startWorkers(platform, jobs, config.WORKER_PORT);
shutdown.add("jobs", () => workers.close(Math.max(1_000, config.SHUTDOWN_TIMEOUT_MS - 2_000))).add("events", () => services.events.flush()).add("stores", () => platform.close()).listen();
