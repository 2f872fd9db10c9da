import assert from "node:assert/strict";
import { ConfigError, DEFAULT_JWT_SECRET, loadConfig } from "../../shared/config/config.js";

describe("configuration", () => {
  it("gives safe local defaults when nothing is set", () => {
    const config = loadConfig({});
    assert.equal(config.NODE_ENV, "development");
    assert.equal(config.API_PORT, 3000);
    assert.equal(config.REDIS_PREFIX, "cw:");
    assert.equal(config.MONGO_URL, undefined);
    assert.ok(Object.isFrozen(config));
  });

  it("reports every invalid variable at once", () => {
    try {
      loadConfig({ API_PORT: "seventy", LOG_LEVEL: "loud", JWT_SECRET: "short", SOCKET_MAX_PAYLOAD_BYTES: "10000000" });
      assert.fail("expected a ConfigError");
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      const variables = error.problems.map((problem) => problem.split(":")[0]).sort();
      assert.deepEqual(variables, ["API_PORT", "JWT_SECRET", "LOG_LEVEL", "SOCKET_MAX_PAYLOAD_BYTES"]);
      assert.match(error.message, /API_PORT/);
      assert.match(error.message, /LOG_LEVEL/);
    }
  });

  it("refuses to run in production with the default secret, the embedded store or any origin", () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: "production", CORS_ORIGINS: "*" }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((p) => p.startsWith("JWT_SECRET")) &&
        error.problems.some((p) => p.startsWith("MONGO_URL")) &&
        error.problems.some((p) => p.startsWith("CORS_ORIGINS")),
    );
  });

  it("starts in production once a real secret and MongoDB are given", () => {
    const config = loadConfig({
      NODE_ENV: "production",
      JWT_SECRET: "x".repeat(48),
      MONGO_URL: "mongodb://mongo:27017",
      CORS_ORIGINS: "https://app.example.com, https://admin.example.com",
    });
    assert.notEqual(config.JWT_SECRET, DEFAULT_JWT_SECRET);
    assert.deepEqual(config.CORS_ORIGINS, ["https://app.example.com", "https://admin.example.com"]);
  });

  it("treats empty variables as unset", () => {
    assert.equal(loadConfig({ API_PORT: "", MONGO_URL: "" }).API_PORT, 3000);
  });
});
