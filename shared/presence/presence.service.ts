import type { AccessControl } from "../access/access-control.js";
import { AppError } from "../errors/app-error.js";
import type { Logger } from "../logging/logger.js";
import type { MaintenanceTask } from "../maintenance/maintenance.service.js";
import type { LastSeenWriter } from "./last-seen.writer.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { InvalidationChannel } from "../realtime/invalidation-channel.js";
import type { PresenceRepository } from "./presence.repository.js";
import { presenceRoom, type Device, type PresenceUpdate, type PresenceWatchResult } from "./presence.types.js";

/** Most due users one sweep settles; the next sweep takes the rest. */
const SWEEP_BATCH = 500;
const RECONCILE_PAGE = 500;

/**
 * Who is online, counted per device across every gateway replica, and who may
 * know it. Transitions (first device in, last device out or expired) are
 * returned for the gateway to announce to watchers, and persisted to
 * `users.is_online`/`last_seen` in batches (write-behind, LastSeenWriter), so a
 * handshake makes no PostgreSQL write. Redis is the source of truth for "online";
 * PostgreSQL keeps the last transition for everything that reads users.
 * Offline transitions are also announced on the invalidation channel, so every
 * process's OnlineCache forgets the user at once.
 */
export class PresenceService {
  constructor(
    private readonly devices: PresenceRepository,
    private readonly lastSeen: LastSeenWriter,
    private readonly access: Pick<AccessControl, "canSeeLastSeen">,
    private readonly logger: Logger,
    private readonly maxDevicesPerUser: number,
    private readonly rooms: Pick<Realtime, "emptyRoom" | "toRoom">,
    private readonly invalidations?: Pick<InvalidationChannel, "publish">,
  ) {}

  /** Which of `userIds` have at least one connected device on some replica. */
  async onlineAmong(userIds: readonly string[]): Promise<Set<string>> {
    return this.devices.onlineAmong(userIds);
  }

  /** Registers a device at the handshake; throws TOO_MANY_CONNECTIONS when the user holds the cap already. */
  async connect(device: Device): Promise<PresenceUpdate | null> {
    let { status, at } = await this.devices.connect(device, this.maxDevicesPerUser);
    // Over the cap: entries of replicas that died (their liveness key expired) do not count.
    if (status === "refused" && (await this.devices.dropDeadReplicaEntries(device.userId)) > 0) {
      ({ status, at } = await this.devices.connect(device, this.maxDevicesPerUser));
    }
    if (status === "refused") {
      throw new AppError("TOO_MANY_CONNECTIONS", `At most ${this.maxDevicesPerUser} connections per user`, { limit: this.maxDevicesPerUser });
    }
    return status === "online" ? this.transition(device.userId, true, at) : null;
  }

  /** Removes a device that disconnected; announces offline when it was the user's last. */
  async disconnect(device: Device): Promise<PresenceUpdate | null> {
    const { offline, at } = await this.devices.disconnect(device);
    if (!offline) return null;
    await this.invalidations?.publish({ offline: [device.userId] });
    return this.transition(device.userId, false, at);
  }

  /** The gateway's heartbeat for its own devices; users whose devices had expired come back online. */
  async heartbeat(devices: readonly Device[]): Promise<PresenceUpdate[]> {
    const { back, at } = await this.devices.refresh(devices);
    const users = [...new Set(back.map((d) => d.userId))];
    return users.map((userId) => this.transition(userId, true, at));
  }

  /** Keeps a gateway replica's liveness key for `ttlMs` more. */
  async replicaAlive(replicaId: string, ttlMs: number): Promise<void> {
    await this.devices.markAlive(replicaId, ttlMs);
  }

  /** Ends a replica's liveness at once (graceful shutdown). */
  async replicaGone(replicaId: string): Promise<void> {
    await this.devices.markGone(replicaId);
  }

  /** A replica shutting down hands its devices over without announcing them offline (see presence-scripts.ts). */
  async drain(devices: readonly Device[]): Promise<void> {
    await this.devices.drain(devices);
  }

  /** Settles expired devices (replicas that died) and drains past their grace; returns the offline transitions. */
  async sweep(): Promise<PresenceUpdate[]> {
    const settled = (await this.devices.sweepDue(SWEEP_BATCH)).filter((s) => s.offline);
    if (settled.length > 0) await this.invalidations?.publish({ offline: settled.map((s) => s.userId) });
    return settled.map((s) => this.transition(s.userId, false, s.lastSeen));
  }

  /**
   * Current states of the users `viewerId` may see (their last-seen privacy and
   * blocks decide); the others, unknown users included, come back as hidden.
   */
  async watch(viewerId: string, userIds: readonly string[]): Promise<PresenceWatchResult> {
    const ids = [...new Set(userIds)];
    const allowed = await Promise.all(ids.map((id) => this.access.canSeeLastSeen(viewerId, id)));
    const visible = ids.filter((_, i) => allowed[i]);
    const online = await this.devices.onlineAmong(visible);
    const offline = visible.filter((id) => !online.has(id));
    const seen = await this.lastSeen.lastSeenOf(offline);
    const presences = visible
      .filter((id) => online.has(id) || seen.has(id))
      .map((userId) => ({ userId, online: online.has(userId), lastSeen: seen.get(userId)?.toISOString() ?? null }));
    const shown = new Set(presences.map((p) => p.userId));
    return { presences, hidden: ids.filter((id) => !shown.has(id)) };
  }

  /**
   * Drops every watcher of `userId` on every replica: call it when the user
   * narrows their last-seen audience or blocks someone. Watchers stop getting
   * updates at once; a client that watches again is checked again.
   */
  forgetWatchers(userId: string): void {
    const room = presenceRoom(userId);
    // Watchers still allowed to see the user learn to watch again (and are re-checked then).
    this.rooms.toRoom(room, "presence:reset", { userId });
    this.rooms.emptyRoom(room);
  }

  /** Daily: users PostgreSQL still marks online although Redis holds no device of theirs are marked offline. */
  reconcileTask(): MaintenanceTask {
    return {
      name: "presence.reconcile",
      period: "daily",
      run: async () => {
        let afterId: string | null = null;
        let checked = 0;
        let corrected = 0;
        for (;;) {
          const page = await this.lastSeen.onlinePage(afterId, RECONCILE_PAGE);
          if (page.length === 0) break;
          const checkedAt = new Date();
          const online = await this.devices.onlineAmong(page);
          corrected += await this.lastSeen.markOffline(page.filter((id) => !online.has(id)), checkedAt);
          checked += page.length;
          afterId = page[page.length - 1] ?? null;
        }
        return { checked, corrected };
      },
    };
  }

  /** Writes the queued presence transitions to PostgreSQL now (a gateway's shutdown, tests). */
  flushLastSeen(): Promise<void> {
    return this.lastSeen.flush();
  }

  private transition(userId: string, online: boolean, atMs: number): PresenceUpdate {
    const at = new Date(atMs);
    // Redis already holds the truth; PostgreSQL gets it with the next batch.
    this.lastSeen.record(userId, online, at);
    return { userId, online, lastSeen: online ? null : at.toISOString() };
  }
}
