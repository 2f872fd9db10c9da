import assert from "node:assert/strict";
import { startApi } from "../../api/server.js";
import { loadConfig } from "../../shared/config/config.js";
import { migrateAll } from "../../shared/db/migrate.js";
import { startEmbeddedMongo } from "../../shared/embedded-mongo/index.js";
import { createLogger } from "../../shared/logging/logger.js";
import { createPlatform } from "../../shared/runtime/platform.js";
import { createServices } from "../../shared/runtime/services.js";
import { httpCall } from "../helpers/http.js";
import { createTestUser } from "../helpers/users.js";

describe("hardening: MongoDB down", function () {
  this.timeout(60_000);

  it("answers 503 with Retry-After, not 500, while MongoDB cannot be reached", async () => {
    const mongo = await startEmbeddedMongo({ port: 0, log: () => undefined });
    let stopped = false;
    const config = loadConfig();
    const logger = createLogger(config).child({ role: "test" });
    await migrateAll(config, logger.child({ role: "test-migrate" }), mongo.uri);
    const platform = await createPlatform(config, logger, mongo.uri);
    const services = createServices(platform);
    const api = await startApi(platform, services, 0);
    try {
      const user = await createTestUser(services);
      const base = `http://127.0.0.1:${api.port}`;
      assert.equal((await httpCall(base, "GET", `/api/profiles/${user.userId}`, { token: user.accessToken })).status, 200);
      await mongo.stop();
      stopped = true;
      for (const path of [`/api/profiles/${user.userId}`, "/api/chat/conversations"]) {
        const res = await httpCall(base, "GET", path, { token: user.accessToken });
        assert.equal(res.status, 503, `${path}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, "UNAVAILABLE");
        assert.equal(res.headers.get("retry-after"), "5");
      }
    } finally {
      await api.close();
      await platform.close().catch(() => undefined);
      if (!stopped) await mongo.stop();
    }
  });
});
