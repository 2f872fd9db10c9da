import type { Redis } from "ioredis";
import { defineScripts, keySlot } from "../db/redis-scripts.js";
import type { Device } from "./presence.types.js";
import { CONNECT, DISCONNECT, DRAIN, ONLINE, REFRESH, SETTLE, UNDUE } from "./presence-scripts.js";

/** A user's devices and drain marker share the `{u:<userId>}` hash tag: every per-user script touches one slot. */
export const presenceKey = (userId: string): string => `presence:{u:${userId}}`;
const leftKey = (userId: string): string => `presence:{u:${userId}}:left`;
/**
 * The sweep's index, split into buckets by user so it spreads over the shards
 * of a Redis Cluster: `presence-due:{b:<n>}` holds user ids scored by when the
 * sweep should look at them (the latest device expiry seen, or a drain's end).
 */
export const DUE_BUCKETS = 16;
const bucketOf = (userId: string): number => keySlot(userId) % DUE_BUCKETS;
const dueKey = (bucket: number): string => `presence-due:{b:${bucket}}`;
/**
 * A device's member in its user's set: `socketId[~replicaId][@deviceId]`
 * (socket ids are base64url, so neither mark occurs in them).
 */
const entryOf = (device: Device): string =>
  `${device.socketId}${device.replicaId ? `~${device.replicaId}` : ""}${device.deviceId ? `@${device.deviceId}` : ""}`;
/** The replica id inside an entry, if any. */
const replicaOf = (entry: string): string | undefined => /~([^@]+)/.exec(entry)?.[1];
/** One key per replica, hash-tagged by replica. */
const aliveKey = (replicaId: string): string => `gateway-alive:{r:${replicaId}}`;

type Reply = Promise<number[]>;
type ScriptRedis = Redis & {
  presenceConnect(user: string, left: string, ...args: Array<string | number>): Reply;
  presenceDisconnect(user: string, entry: string): Reply;
  presenceRefresh(user: string, left: string, ...args: Array<string | number>): Reply;
  presenceDrain(user: string, left: string, ...args: Array<string | number>): Reply;
  presenceSettle(user: string, left: string, ttlMs: number, graceMs: number): Reply;
  presenceOnline(user: string, left: string): Promise<number>;
  presenceUndue(bucket: string, userId: string, seen: number, nextDue: number): Promise<number>;
};

/** Lifetimes the registry works with, in milliseconds. */
export interface PresenceTimings {
  /** A device not refreshed for this long is gone. */
  deviceTtlMs: number;
  /** A user's key outlives its devices so the sweep can still settle it. */
  keyTtlMs: number;
  /** How long a user whose last device left with a draining replica stays online. */
  drainGraceMs: number;
}

/** A user the sweep settled. */
export interface Settlement {
  userId: string;
  offline: boolean;
  /** When the user was last online (ms), meaningful when `offline`. */
  lastSeen: number;
}

/** Groups devices by user, keeping the order users first appear in. */
function byUser(devices: readonly Device[]): Map<string, Device[]> {
  const out = new Map<string, Device[]>();
  for (const device of devices) out.set(device.userId, [...(out.get(device.userId) ?? []), device]);
  return out;
}

/**
 * The per-device presence registry in Redis (see presence-scripts.ts for the
 * per-user keys). Every script touches one user's slot; the due index is
 * written before the script that makes a user due, so a crash in between
 * leaves at worst an index entry the sweep finds nothing for.
 */
export class PresenceRepository {
  private readonly redis: ScriptRedis;

  constructor(
    redis: Redis,
    private readonly timings: PresenceTimings,
  ) {
    const user = "sample-user";
    const keys = [presenceKey(user), leftKey(user)];
    defineScripts(redis, {
      presenceConnect: { numberOfKeys: 2, lua: CONNECT, sample: () => [...keys, "s1~r1@d1", 60_000, 120_000, 5, "@d1"] },
      presenceDisconnect: { numberOfKeys: 1, lua: DISCONNECT, sample: () => [presenceKey(user), "s1~r1@d1"] },
      presenceRefresh: { numberOfKeys: 2, lua: REFRESH, sample: () => [...keys, 60_000, 120_000, "s1~r1@d1", "s2~r1"] },
      presenceDrain: { numberOfKeys: 2, lua: DRAIN, sample: () => [...keys, 120_000, "s1~r1@d1"] },
      presenceSettle: { numberOfKeys: 2, lua: SETTLE, sample: () => [...keys, 60_000, 10_000] },
      presenceOnline: { numberOfKeys: 2, lua: ONLINE, sample: () => keys },
      presenceUndue: { numberOfKeys: 1, lua: UNDUE, sample: () => [dueKey(bucketOf(user)), user, 0, 0] },
    });
    this.redis = redis as ScriptRedis;
  }

  /**
   * Puts users in the due index at `at` (one ZADD per bucket): `GT` keeps the
   * latest device expiry (what decides "offline"), `LT` brings a drain's end
   * forward. A settle re-schedules whatever is still live.
   */
  private async scheduleDue(userIds: Iterable<string>, at: number, mode: "GT" | "LT" = "GT"): Promise<void> {
    const buckets = new Map<number, string[]>();
    for (const userId of userIds) buckets.set(bucketOf(userId), [...(buckets.get(bucketOf(userId)) ?? []), userId]);
    await Promise.all([...buckets].map(([bucket, ids]) => (mode === "GT" ? this.redis.zadd(dueKey(bucket), "GT", ...ids.flatMap((id) => [at, id])) : this.redis.zadd(dueKey(bucket), "LT", ...ids.flatMap((id) => [at, id])))));
  }

  /**
   * Registers a device unless the user already holds `cap` live ones. A device
   * with a `deviceId` first replaces its own earlier entries (same device id).
   */
  async connect(device: Device, cap: number): Promise<{ status: "refused" | "online" | "unchanged"; at: number }> {
    const { deviceTtlMs, keyTtlMs } = this.timings;
    await this.scheduleDue([device.userId], Date.now() + deviceTtlMs);
    const [status, at] = await this.redis.presenceConnect(presenceKey(device.userId), leftKey(device.userId), entryOf(device), deviceTtlMs, keyTtlMs, cap, device.deviceId ? `@${device.deviceId}` : "");
    return { status: status === -1 ? "refused" : status === 1 ? "online" : "unchanged", at: at! };
  }

  /** Says the replica is alive for `ttlMs` more (its heartbeat of liveness). */
  async markAlive(replicaId: string, ttlMs: number): Promise<void> {
    await this.redis.set(aliveKey(replicaId), "1", "PX", ttlMs);
  }

  /** A replica that shuts down stops counting as alive at once. */
  async markGone(replicaId: string): Promise<void> {
    await this.redis.del(aliveKey(replicaId));
  }

  /**
   * Removes the user's entries held by replicas whose liveness key has expired
   * (replicas that died without disconnecting). One read of the user's set,
   * one EXISTS per replica found there, one ZREM: each a single-slot command.
   */
  async dropDeadReplicaEntries(userId: string): Promise<number> {
    const entries = await this.redis.zrange(presenceKey(userId), "0", "-1");
    const replicas = [...new Set(entries.map(replicaOf).filter((id): id is string => id !== undefined))];
    if (replicas.length === 0) return 0;
    const alive = await Promise.all(replicas.map((id) => this.redis.exists(aliveKey(id))));
    const dead = new Set(replicas.filter((_, i) => alive[i] === 0));
    const stale = entries.filter((entry) => dead.has(replicaOf(entry) ?? ""));
    if (stale.length === 0) return 0;
    return this.redis.zrem(presenceKey(userId), ...stale);
  }

  /** Removes a device; `offline` when it was the user's last live one. */
  async disconnect(device: Device): Promise<{ offline: boolean; at: number }> {
    const [status, at] = await this.redis.presenceDisconnect(presenceKey(device.userId), entryOf(device));
    return { offline: status === 1, at: at! };
  }

  /** Extends the devices' expiry (one script per user, pipelined); returns the devices whose user came back online, and Redis's clock. */
  async refresh(devices: readonly Device[]): Promise<{ back: Device[]; at: number }> {
    if (devices.length === 0) return { back: [], at: Date.now() };
    const { deviceTtlMs, keyTtlMs } = this.timings;
    const users = byUser(devices);
    await this.scheduleDue(users.keys(), Date.now() + deviceTtlMs);
    const replies = await Promise.all(
      [...users].map(([userId, own]) => this.redis.presenceRefresh(presenceKey(userId), leftKey(userId), deviceTtlMs, keyTtlMs, ...own.map(entryOf))),
    );
    const back = [...users.values()].filter((_, i) => replies[i]![1] === 1).flat();
    return { back, at: Math.max(...replies.map((r) => r[0]!)) };
  }

  /** Removes a draining replica's devices without announcing; users left with none stay online for the grace period. */
  async drain(devices: readonly Device[]): Promise<void> {
    if (devices.length === 0) return;
    const users = byUser(devices);
    await this.scheduleDue(users.keys(), Date.now() + this.timings.drainGraceMs, "LT");
    await Promise.all([...users].map(([userId, own]) => this.redis.presenceDrain(presenceKey(userId), leftKey(userId), this.timings.keyTtlMs, ...own.map(entryOf))));
  }

  /**
   * Settles up to about `limit` users that are due: expired devices (replicas
   * that died) and drains past their grace. Each user is one script on its own
   * slot; the index is then updated unless a connect re-scheduled the user.
   */
  async sweepDue(limit: number): Promise<Settlement[]> {
    const perBucket = Math.max(1, Math.ceil(limit / DUE_BUCKETS));
    const now = Date.now();
    const buckets = Array.from({ length: DUE_BUCKETS }, (_, bucket) => bucket);
    const due = await Promise.all(buckets.map((bucket) => this.redis.zrangebyscore(dueKey(bucket), "-inf", now, "WITHSCORES", "LIMIT", 0, perBucket)));
    const work = due.flatMap((flat, bucket) => {
      const users: Array<{ bucket: number; userId: string; seen: number }> = [];
      for (let i = 0; i < flat.length; i += 2) users.push({ bucket, userId: flat[i]!, seen: Number(flat[i + 1]) });
      return users;
    });
    const { deviceTtlMs, drainGraceMs } = this.timings;
    return Promise.all(
      work.map(async ({ bucket, userId, seen }) => {
        const [offline, lastSeen, nextDue] = await this.redis.presenceSettle(presenceKey(userId), leftKey(userId), deviceTtlMs, drainGraceMs);
        await this.redis.presenceUndue(dueKey(bucket), userId, seen, nextDue!);
        return { userId, offline: offline === 1, lastSeen: lastSeen! };
      }),
    );
  }

  /** Which of `userIds` are online now (a live device, or inside a drain's grace): one single-slot script per user, pipelined. */
  async onlineAmong(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const flags = await Promise.all(userIds.map((id) => this.redis.presenceOnline(presenceKey(id), leftKey(id))));
    return new Set(userIds.filter((_, i) => flags[i] === 1));
  }
}
