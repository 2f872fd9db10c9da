import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "../logging/logger.js";

export type { Redis } from "ioredis";

export type RedisRole = "app" | "bullmq" | "pub" | "sub";

/**
 * One Redis connection for a given role. `app` connections prefix every key;
 * BullMQ and the Socket.IO adapter manage their own prefixes and need
 * `maxRetriesPerRequest: null` so commands wait through a reconnect.
 */
export function createRedis(url: string, role: RedisRole, logger: Logger, prefix?: string): Redis {
  const options: RedisOptions = {
    lazyConnect: false,
    enableAutoPipelining: role === "app",
    maxRetriesPerRequest: role === "app" ? 3 : null,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    connectionName: `chatwave-${role}`,
    ...(role === "app" && prefix ? { keyPrefix: prefix } : {}),
  };
  const redis = new Redis(url, options);
  let lastError = "";
  redis.on("error", (error: Error) => {
    // A dead Redis produces an error per retry; log each distinct message once.
    if (error.message !== lastError) logger.warn({ err: error, role }, "Redis connection error");
    lastError = error.message;
  });
  redis.on("ready", () => {
    if (lastError) logger.info({ role }, "Redis connection restored");
    lastError = "";
  });
  return redis;
}

/** Closes a connection, falling back to disconnect when Redis is unreachable. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === "end") return;
  try {
    await Promise.race([redis.quit(), new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 1_000))]);
  } catch {
    redis.disconnect();
  }
}
