import type { Redis } from "ioredis";
import type { Device } from "./presence.types.js";
import { CONNECT, DISCONNECT, DRAIN, ONLINE, REFRESH, SCAN_DUE, SETTLE } from "./presence-scripts.js";

const DEVICES = "presence-devices";
const PENDING = "presence-pending";
const userKey = (userId: string): string => `presence:${userId}`;
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
const indexMember = (device: Device): string => `${device.userId} ${entryOf(device)}`;

type ScriptRedis = Redis & {
  presenceConnect(...args: Array<string | number>): Promise<[number, number]>;
  presenceDisconnect(...args: Array<string | number>): Promise<[number, number]>;
  presenceRefresh(...args: Array<string | number>): Promise<number[]>;
  presenceDrain(...args: Array<string | number>): Promise<number>;
  presenceScanDue(...args: Array<string | number>): Promise<[string[], string[]]>;
  presenceSettle(...args: Array<string | number>): Promise<[number, number]>;
  presenceOnline(...args: Array<string | number>): Promise<number[]>;
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

/** What the sweep found due: expired devices grouped by user, and users whose drain grace ran out. */
export interface DueSettlements {
  expired: Map<string, string[]>;
  pending: string[];
}

/**
 * The per-device presence registry in Redis (see presence-scripts.ts for the
 * key layout). Every operation is one round trip.
 */
export class PresenceRepository {
  private readonly redis: ScriptRedis;

  constructor(
    redis: Redis,
    private readonly timings: PresenceTimings,
  ) {
    const scripts = {
      presenceConnect: CONNECT,
      presenceDisconnect: DISCONNECT,
      presenceRefresh: REFRESH,
      presenceDrain: DRAIN,
      presenceScanDue: SCAN_DUE,
      presenceSettle: SETTLE,
      presenceOnline: ONLINE,
    };
    for (const [name, lua] of Object.entries(scripts)) {
      if (!(name in redis)) redis.defineCommand(name, { lua });
    }
    this.redis = redis as ScriptRedis;
  }

  /**
   * Registers a device unless the user already holds `cap` live ones. A device
   * with a `deviceId` first replaces its own earlier entries (same device id).
   */
  async connect(device: Device, cap: number): Promise<{ status: "refused" | "online" | "unchanged"; at: number }> {
    const { deviceTtlMs, keyTtlMs } = this.timings;
    const [status, at] = await this.redis.presenceConnect(3, userKey(device.userId), DEVICES, PENDING, entryOf(device), indexMember(device), device.userId, deviceTtlMs, keyTtlMs, cap, device.deviceId ? `@${device.deviceId}` : "");
    return { status: status === -1 ? "refused" : status === 1 ? "online" : "unchanged", at };
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
   * The devices index keeps their members until the sweep settles them.
   */
  async dropDeadReplicaEntries(userId: string): Promise<number> {
    const entries = await this.redis.zrange(userKey(userId), "0", "-1");
    const replicas = [...new Set(entries.map(replicaOf).filter((id): id is string => id !== undefined))];
    if (replicas.length === 0) return 0;
    const alive = await Promise.all(replicas.map((id) => this.redis.exists(aliveKey(id))));
    const dead = new Set(replicas.filter((_, i) => alive[i] === 0));
    const stale = entries.filter((entry) => dead.has(replicaOf(entry) ?? ""));
    if (stale.length === 0) return 0;
    return this.redis.zrem(userKey(userId), ...stale);
  }

  /** Removes a device; `offline` when it was the user's last live one. */
  async disconnect(device: Device): Promise<{ offline: boolean; at: number }> {
    const [status, at] = await this.redis.presenceDisconnect(2, userKey(device.userId), DEVICES, entryOf(device), indexMember(device));
    return { offline: status === 1, at };
  }

  /** Extends the devices' expiry; returns the devices whose user came back online, and Redis's clock. */
  async refresh(devices: readonly Device[]): Promise<{ back: Device[]; at: number }> {
    if (devices.length === 0) return { back: [], at: Date.now() };
    const keys = devices.map((d) => userKey(d.userId));
    const args = devices.flatMap((d) => [entryOf(d), indexMember(d), d.userId]);
    const [at = Date.now(), ...positions] = await this.redis.presenceRefresh(keys.length + 2, DEVICES, PENDING, ...keys, this.timings.deviceTtlMs, this.timings.keyTtlMs, ...args);
    return { back: positions.map((p) => devices[p - 1]).filter((d): d is Device => d !== undefined), at };
  }

  /** Removes a draining replica's devices without announcing; their users become pending. */
  async drain(devices: readonly Device[]): Promise<void> {
    if (devices.length === 0) return;
    const keys = devices.map((d) => userKey(d.userId));
    const args = devices.flatMap((d) => [entryOf(d), indexMember(d), d.userId]);
    await this.redis.presenceDrain(keys.length + 2, DEVICES, PENDING, ...keys, ...args);
  }

  /** Expired devices and pending users that are due, at most `limit` of each. */
  async scanDue(limit: number): Promise<DueSettlements> {
    const [members, pending] = await this.redis.presenceScanDue(2, DEVICES, PENDING, this.timings.drainGraceMs, limit);
    const expired = new Map<string, string[]>();
    for (const member of members) {
      const userId = member.slice(0, member.indexOf(" "));
      const list = expired.get(userId);
      if (list) list.push(member);
      else expired.set(userId, [member]);
    }
    return { expired, pending };
  }

  /** Settles one user found due; `lastSeen` (ms) is set when they went offline. */
  async settle(userId: string, members: readonly string[]): Promise<{ offline: boolean; lastSeen: number }> {
    const { deviceTtlMs, drainGraceMs } = this.timings;
    const [offline, lastSeen] = await this.redis.presenceSettle(3, userKey(userId), DEVICES, PENDING, userId, deviceTtlMs, drainGraceMs, ...members);
    return { offline: offline === 1, lastSeen };
  }

  /** Which of `userIds` are online now (a live device, or inside a drain's grace). */
  async onlineAmong(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const flags = await this.redis.presenceOnline(userIds.length + 1, ...userIds.map(userKey), PENDING, ...userIds);
    return new Set(userIds.filter((_, i) => flags[i] === 1));
  }
}
