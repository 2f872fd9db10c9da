import { boot } from "../shared/runtime/boot.js";
import { killActiveTranscodes } from "../shared/videos/transcoder.js";
import { startWorkers } from "./worker-host.js";

const { config, platform, services, jobs, shutdown } = await boot("worker");
const workers = await startWorkers(platform, jobs, config.WORKER_PORT);
// ffmpeg first: a transcode cannot finish within the grace period, so its job is released for a retry.
shutdown.add("transcodes", async () => void killActiveTranscodes()).add("jobs", () => workers.close(Math.max(1_000, config.SHUTDOWN_TIMEOUT_MS - 2_000))).add("events", () => services.events.flush()).add("stores", () => platform.close()).listen();
