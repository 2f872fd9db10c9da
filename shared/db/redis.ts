import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from "ioredis";
import type { Logger } from "../logging/logger.js";

export type { Redis } from "ioredis";

export type RedisRole = "app" | "bullmq" | "pub" | "sub";

/** Where Redis is: one node (`url`), or a Redis Cluster when `clusterNodes` is non-empty. */
export interface RedisTarget {
  url: string;
  clusterNodes: ReadonlyArray<{ host: string; port: number }>;
}

/** The target a process's configuration names. */
export function redisTarget(config: { REDIS_URL: string; REDIS_CLUSTER_NODES: ReadonlyArray<{ host: string; port: number }> }): RedisTarget {
  return { url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES };
}

/** True when the target is a Redis Cluster. */
export function isClusterTarget(target: RedisTarget | string): boolean {
  return typeof target !== "string" && target.clusterNodes.length > 0;
}

/**
 * The only place Redis clients are built. One connection (or Cluster client)
 * for a given role. `app` connections prefix every key; BullMQ and the
 * Socket.IO adapter manage their own prefixes and need
 * `maxRetriesPerRequest: null` so commands wait through a reconnect.
 *
 * With cluster seed nodes the result is an ioredis `Cluster`: it speaks the
 * same command interface (scripts defined with `defineCommand`, pipelines,
 * MULTI), routes each command by its keys' hash slot and follows MOVED/ASK
 * after a failover. It is typed as `Redis` so repositories stay unaware of
 * the topology; what they must respect is that every script, MULTI and
 * pipeline touches one hash slot (see docs/scaling.md, "Redis keys").
 * `sub` clients get one sharded-subscriber connection per shard, which the
 * sharded Socket.IO adapter needs for SSUBSCRIBE.
 */
export function createRedis(target: RedisTarget | string, role: RedisRole, logger: Logger, prefix?: string): Redis {
  const resolved: RedisTarget = typeof target === "string" ? { url: target, clusterNodes: [] } : target;
  const options: RedisOptions = {
    lazyConnect: false,
    enableAutoPipelining: role === "app",
    maxRetriesPerRequest: role === "app" ? 3 : null,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    connectionName: `chatwave-${role}`,
    ...(role === "app" && prefix ? { keyPrefix: prefix } : {}),
  };
  const redis = isClusterTarget(resolved) ? createCluster(resolved, role, options) : new Redis(resolved.url, options);
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

/** Credentials and TLS of REDIS_URL, applied to every cluster node. */
function urlSecurity(url: string): Pick<RedisOptions, "username" | "password" | "tls"> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {};
  }
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === "rediss:" ? { tls: {} } : {}),
  };
}

function createCluster(target: RedisTarget, role: RedisRole, options: RedisOptions): Redis {
  const { retryStrategy, enableAutoPipelining, keyPrefix, maxRetriesPerRequest, ...nodeOptions } = options;
  const clusterOptions: ClusterOptions = {
    // Auto-pipelining in a Cluster batches per node, so concurrent single-key
    // commands to many slots still cost one round trip per node.
    enableAutoPipelining,
    ...(keyPrefix ? { keyPrefix } : {}),
    clusterRetryStrategy: retryStrategy,
    // Refresh the slot map soon after a failover instead of waiting on MOVED storms.
    slotsRefreshTimeout: 2_000,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    shardedSubscribers: role === "sub",
    redisOptions: { ...nodeOptions, ...urlSecurity(target.url), maxRetriesPerRequest },
  };
  return new Cluster(target.clusterNodes as ClusterNode[], clusterOptions) as unknown as Redis;
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

/** True when `redis` is an ioredis Cluster client. */
export function isCluster(redis: Redis): boolean {
  return (redis as unknown as { isCluster?: boolean }).isCluster === true;
}

/** The master nodes of a Cluster client, or the connection itself for a single node (maintenance that must visit every shard). */
export function masterNodes(redis: Redis): Redis[] {
  return isCluster(redis) ? (redis as unknown as Cluster).nodes("master") : [redis];
}
