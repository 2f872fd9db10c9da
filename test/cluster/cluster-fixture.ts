import assert from "node:assert/strict";
import type { AckResponse, ClientToServerEvents } from "../../shared/runtime/socket-events.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { stopAllRoles } from "../helpers/processes.js";
import { TestRedisCluster } from "../helpers/redis-cluster.js";
import type { ClientSocket } from "../helpers/sockets.js";

type EventName = keyof ClientToServerEvents;
type AckOf<E extends EventName> = Parameters<ClientToServerEvents[E]>[1] extends (r: infer R) => void ? R : never;

/** Emits a client event and resolves with its acknowledgement, or rejects after `timeoutMs`. */
export function request<E extends EventName>(socket: ClientSocket, event: E, payload: unknown, timeoutMs = 10_000): Promise<AckOf<E>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${event} within ${timeoutMs} ms`)), timeoutMs);
    (socket.emit as (e: string, p: unknown, ack: (r: unknown) => void) => void)(event, payload, (r) => {
      clearTimeout(timer);
      resolve(r as AckOf<E>);
    });
  });
}

export function data<T>(ack: AckResponse<T>): T {
  if (!ack.ok) assert.fail(`expected success, got ${ack.error.code}: ${ack.error.message}`);
  return ack.data;
}

/** Everything `socket` receives of `event`, as it arrives. */
export function collect<T>(socket: ClientSocket, event: string): T[] {
  const seen: T[] = [];
  (socket as unknown as { on(e: string, l: (p: T) => void): void }).on(event, (payload) => seen.push(payload));
  return seen;
}

/**
 * A Redis Cluster (3 masters, 3 replicas) for one test file, with this
 * process's configuration pointed at it (REDIS_CLUSTER_NODES, inherited by the
 * role processes the file spawns) and an in-process platform on it.
 */
export interface ClusterRun {
  cluster: TestRedisCluster;
  platform: Platform;
  services: Services;
  close(): Promise<void>;
}

export async function startClusterRun(): Promise<ClusterRun> {
  const cluster = await TestRedisCluster.start();
  process.env.REDIS_CLUSTER_NODES = cluster.seeds;
  try {
    const { platform, services } = await createTestPlatform();
    return {
      cluster,
      platform,
      services,
      async close() {
        await stopAllRoles();
        await platform.close();
        delete process.env.REDIS_CLUSTER_NODES;
        await cluster.stop();
      },
    };
  } catch (error) {
    delete process.env.REDIS_CLUSTER_NODES;
    await cluster.stop();
    throw error;
  }
}
