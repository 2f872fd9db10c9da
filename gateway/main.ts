import { boot } from "../shared/runtime/boot.js";
import { startGateway } from "./server.js";

const { config, platform, services, shutdown } = await boot("gateway");
const gateway = await startGateway(platform, services, config.GATEWAY_PORT);
shutdown.add("sockets", () => gateway.close()).add("events", () => services.events.flush()).add("stores", () => platform.close()).listen();
