import { boot } from "../shared/runtime/boot.js";
import { startApi } from "./server.js";

const { config, platform, services, shutdown } = await boot("api");
const api = await startApi(platform, services, config.API_PORT);
shutdown.add("http", () => api.close()).add("events", () => services.events.flush()).add("stores", () => platform.close()).listen();
