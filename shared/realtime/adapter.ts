import { createShardedAdapter } from "@socket.io/redis-adapter";
import type { Redis } from "ioredis";

/**
 * The sharded Redis adapter in dynamic mode: each room (`user:{id}`...) gets
 * its own channel, so a message reaches only the replicas holding a recipient.
 * ioredis is used because it resubscribes after a reconnect.
 */
export function createRealtimeAdapter(pub: Redis, sub: Redis, prefix: string): ReturnType<typeof createShardedAdapter> {
  return createShardedAdapter(pub, sub, { channelPrefix: `${prefix}sio`, subscriptionMode: "dynamic" });
}
