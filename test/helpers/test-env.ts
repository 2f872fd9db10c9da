import { randomBytes } from "node:crypto";

/**
 * Names this run's isolated resources: a PostgreSQL database, a Redis key and
 * queue prefix and a MongoDB database, all unique to the run so that two runs
 * can overlap on one machine.
 */
const runId = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
const pgBase = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const databaseUrl = new URL(pgBase);
databaseUrl.pathname = `/cw_test_${runId}`;

export const testEnv = {
  runId,
  databaseUrl: databaseUrl.toString(),
  redisUrl: process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  redisPrefix: `cwt${runId}:`,
  mongoDb: `cw_test_${runId}`,
  /** Set by the root hook: MONGO_URL when given, else the embedded server's address. */
  mongoUrl: "",
  /** True when the tests run against the embedded server rather than a real MongoDB. */
  embeddedMongo: false,
};

/** The environment every in-process config and spawned role process of this run gets. */
export function roleEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: "test",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "error",
    HOST: "127.0.0.1",
    DATABASE_URL: testEnv.databaseUrl,
    DATABASE_CREATE: "false",
    REDIS_URL: testEnv.redisUrl,
    REDIS_PREFIX: testEnv.redisPrefix,
    MONGO_URL: testEnv.mongoUrl,
    MONGO_DB: testEnv.mongoDb,
    CORS_ORIGINS: "http://allowed.test",
    WORKER_SCHEDULES: "false",
    SHUTDOWN_TIMEOUT_MS: "5000",
    // The API harnesses send X-Forwarded-For from loopback so each test gets its own per-IP budget.
    TRUST_PROXY: "loopback",
    ...extra,
  };
}
