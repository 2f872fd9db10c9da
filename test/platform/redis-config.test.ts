import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../shared/config/config.js";
import { isClusterTarget, redisTarget } from "../../shared/db/redis.js";
import { keySlot } from "../../shared/db/redis-scripts.js";
import { bullPrefix } from "../../shared/queues/jobs.js";

describe("Redis topology configuration", () => {
  it("is a single node unless REDIS_CLUSTER_NODES names seed nodes", () => {
    const single = loadConfig({});
    assert.deepEqual(single.REDIS_CLUSTER_NODES, []);
    assert.equal(isClusterTarget(redisTarget(single)), false);
    const cluster = loadConfig({ REDIS_CLUSTER_NODES: "10.0.0.1:7000, redis-b:7001,[::1]:7002" });
    assert.deepEqual(cluster.REDIS_CLUSTER_NODES, [
      { host: "10.0.0.1", port: 7000 },
      { host: "redis-b", port: 7001 },
      { host: "::1", port: 7002 },
    ]);
    assert.equal(isClusterTarget(redisTarget(cluster)), true);
    assert.deepEqual(loadConfig({ REDIS_CLUSTER_NODES: "" }).REDIS_CLUSTER_NODES, [], "empty means unset");
  });

  it("refuses a seed that is not host:port, naming the variable and the entry", () => {
    for (const bad of ["redis-a", "redis-a:0", "redis-a:70000", "redis-a:7000,:7001", "redis://a:7000"]) {
      assert.throws(
        () => loadConfig({ REDIS_CLUSTER_NODES: bad }),
        (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith("REDIS_CLUSTER_NODES")),
        bad,
      );
    }
  });

  it("hash-tags BullMQ's prefix so every key of a queue shares one slot", () => {
    assert.equal(bullPrefix("cw:"), "{cw:bull}");
    assert.equal(keySlot(`${bullPrefix("cw:")}:maintenance:wait`), keySlot(`${bullPrefix("cw:")}:maintenance:active`));
  });
});
