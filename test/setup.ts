import { rm } from "node:fs/promises";
import { Redis } from "ioredis";
import { loadConfig } from "../shared/config/config.js";
import { createLogger } from "../shared/logging/logger.js";
import { migrateAll } from "../shared/db/migrate.js";
import { dropDatabase, ensureDatabase } from "../shared/db/postgres.js";
import { MongoClient } from "mongodb";
import { roleEnv, testEnv } from "./helpers/test-env.js";

let stopEmbedded: (() => Promise<void>) | undefined;

/** Deletes every key this run created, whatever created it. */
async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/**
 * Root hooks: one isolated PostgreSQL database, Redis prefix and MongoDB
 * database per run, migrated before the first test and removed after the last.
 */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000);
    if (process.env.MONGO_URL) {
      testEnv.mongoUrl = process.env.MONGO_URL;
    } else {
      const { startEmbeddedMongo } = await import("../shared/embedded-mongo/index.js");
      // Strict shard-key mode: a query on a sharded collection that names no shard key fails the test
      // (docs/scaling.md); MONGO_EMBEDDED_SHARD_STRICT=0 turns it off for a diagnostic run.
      const shardKeyMode = process.env.MONGO_EMBEDDED_SHARD_STRICT === "0" ? "off" : "strict";
      const embedded = await startEmbeddedMongo({ port: 0, ttlSweepIntervalMs: 250, log: () => undefined, shardKeyMode });
      testEnv.mongoUrl = embedded.uri;
      testEnv.embeddedMongo = true;
      stopEmbedded = embedded.stop;
    }
    // MONGO_URL stays out of this process's environment: it keeps meaning "a real
    // MongoDB was given". In-process code gets testEnv.mongoUrl explicitly.
    const { MONGO_URL: _mongoUrl, ...env } = roleEnv();
    Object.assign(process.env, env);
    const config = loadConfig();
    await ensureDatabase(testEnv.databaseUrl);
    await migrateAll(config, createLogger(config).child({ role: "test-migrate" }), testEnv.mongoUrl);
  },

  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await dropDatabase(testEnv.databaseUrl).catch((error: Error) => console.error(`dropping test database: ${error.message}`));
    await deleteRedisPrefix(testEnv.redisUrl, testEnv.redisPrefix).catch(() => undefined);
    // BullMQ's keys start with the hash-tagged prefix `{<prefix>bull}`.
    await deleteRedisPrefix(testEnv.redisUrl, `{${testEnv.redisPrefix}`).catch(() => undefined);
    await rm(testEnv.mediaDir, { recursive: true, force: true });
    if (!testEnv.embeddedMongo) {
      const client = new MongoClient(testEnv.mongoUrl);
      await client.connect();
      await client.db(testEnv.mongoDb).dropDatabase();
      await client.close();
    }
    await stopEmbedded?.();
  },
};
