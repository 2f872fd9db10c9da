import assert from "node:assert/strict";
import { chatTestHooks } from "../../shared/chat/chat-test-hooks.js";
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

  it("chat delivery settings: documented defaults, bounds, and test hooks honoured only under NODE_ENV=test", () => {
    const config = loadConfig({});
    assert.equal(config.CHAT_GAP_WINDOW_MS, 5_000);
    assert.equal(config.GATEWAY_LISTEN_BACKLOG, 4_096);
    assert.equal(loadConfig({ CHAT_GAP_WINDOW_MS: "1000", GATEWAY_LISTEN_BACKLOG: "8192" }).CHAT_GAP_WINDOW_MS, 1_000);
    assert.throws(
      () => loadConfig({ CHAT_GAP_WINDOW_MS: "10", GATEWAY_LISTEN_BACKLOG: "0", TEST_STOP_AFTER_CLAIMS: "-1", TEST_CRASH_AFTER_STORE: "maybe" }),
      (error: unknown) =>
        error instanceof ConfigError &&
        ["CHAT_GAP_WINDOW_MS", "GATEWAY_LISTEN_BACKLOG", "TEST_CRASH_AFTER_STORE", "TEST_STOP_AFTER_CLAIMS"].every((name) => error.message.includes(name)),
    );
    const hooks = { TEST_STOP_AFTER_CLAIMS: "3", TEST_CRASH_AFTER_STORE: "1" };
    assert.deepEqual(chatTestHooks(loadConfig({ NODE_ENV: "development", ...hooks })), {});
    const inTests = chatTestHooks(loadConfig({ NODE_ENV: "test", ...hooks }));
    assert.equal(typeof inTests.afterClaim, "function");
    assert.equal(typeof inTests.afterStore, "function");
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
