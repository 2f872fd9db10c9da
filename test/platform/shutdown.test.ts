import assert from "node:assert/strict";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { spawnRole } from "../helpers/processes.js";
import { connectSocket } from "../helpers/sockets.js";
import { createTestUser } from "../helpers/users.js";

describe("graceful shutdown", function () {
  this.timeout(60_000);
  let platform: Platform;
  let services: Services;
  before(async () => ({ platform, services } = await createTestPlatform()));
  after(() => platform.close());

  it("a gateway with connected sockets disconnects them and exits cleanly within its deadline", async () => {
    const deadlineMs = 4_000;
    const gateway = await spawnRole("gateway", { SHUTDOWN_TIMEOUT_MS: String(deadlineMs) });
    const users = await Promise.all(Array.from({ length: 5 }, () => createTestUser(services)));
    const sockets = await Promise.all(
      Array.from({ length: 25 }, (_, i) => connectSocket(gateway.url, users[i % users.length]!.accessToken)),
    );
    const disconnects = sockets.map((socket) => new Promise<string>((resolve) => socket.once("disconnect", resolve)));
    const started = Date.now();
    gateway.kill("SIGTERM");
    const { code } = await gateway.exited;
    const elapsed = Date.now() - started;
    assert.equal(code, 0, gateway.output());
    assert.ok(elapsed < deadlineMs + 1_000, `exited after ${elapsed} ms`);
    const reasons = await Promise.all(disconnects);
    assert.ok(reasons.every((reason) => reason === "io server disconnect" || reason === "transport close"), reasons.join(","));
  });

  it("the API and the workers exit cleanly on SIGTERM", async () => {
    const [api, worker] = await Promise.all([spawnRole("api"), spawnRole("worker")]);
    api.kill("SIGTERM");
    worker.kill("SIGTERM");
    const [apiExit, workerExit] = await Promise.all([api.exited, worker.exited]);
    assert.equal(apiExit.code, 0, api.output());
    assert.equal(workerExit.code, 0, worker.output());
  });
});
