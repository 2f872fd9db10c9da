import type pg from "pg";
import type { Config } from "../config/config.js";
import type { Logger } from "../logging/logger.js";
import { createPgPool } from "../db/postgres.js";
import { closeRedis, createRedis, redisTarget, type Redis } from "../db/redis.js";
import { connectMongo, type MongoHandle } from "../db/mongo.js";
import { JobQueue } from "../queues/job-queue.js";
import { InvalidationChannel } from "../realtime/invalidation-channel.js";
import { RealtimePublisher } from "../realtime/publisher.js";
import type { Realtime, ServerToClientEvents } from "./socket-events.js";

/**
 * The store clients a process holds. Built once per process by its entry point
 * and closed once at shutdown; services receive the pieces they need.
 */
export interface Platform {
  config: Config;
  logger: Logger;
  pg: pg.Pool;
  /** Application Redis connection; every key is prefixed with REDIS_PREFIX. */
  redis: Redis;
  /** Connection for BullMQ producers (no key prefix, no retry limit). */
  bullRedis: Redis;
  mongo: MongoHandle;
  jobs: JobQueue;
  /** Pushes to users on whichever gateway holds them (a gateway attaches its own server). */
  realtime: Realtime;
  /** Tells every process to drop cached answers (blocks, privacy, membership). */
  invalidations: InvalidationChannel;
  close(): Promise<void>;
}

/** Connects every store. `mongoUrl` is the resolved URL (real or embedded). */
export async function createPlatform(config: Config, logger: Logger, mongoUrl: string): Promise<Platform> {
  const pool = createPgPool(config.DATABASE_URL, config.PG_POOL_MAX, logger);
  const target = redisTarget(config);
  const redis = createRedis(target, "app", logger, config.REDIS_PREFIX);
  const bullRedis = createRedis(target, "bullmq", logger);
  const mongo = await connectMongo(mongoUrl, config.MONGO_DB, logger, config.SLOW_QUERY_MS);
  const jobs = new JobQueue(bullRedis, config.REDIS_PREFIX);
  const realtime = RealtimePublisher.create<ServerToClientEvents>(target, config.REDIS_PREFIX, logger);
  const invalidations = new InvalidationChannel(target, config.REDIS_PREFIX, logger);
  return {
    config,
    logger,
    pg: pool,
    redis,
    bullRedis,
    mongo,
    jobs,
    realtime,
    invalidations,
    async close() {
      await Promise.allSettled([jobs.close(), realtime.close(), invalidations.close()]);
      await Promise.allSettled([pool.end(), closeRedis(redis), closeRedis(bullRedis), mongo.client.close()]);
    },
  };
}
