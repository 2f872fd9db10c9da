import { randomBytes } from "node:crypto";
import type { ExtendedError } from "socket.io";
import { AppError, toErrorBody } from "../../shared/errors/app-error.js";
import type { Logger } from "../../shared/logging/logger.js";
import type { PresenceService } from "../../shared/presence/presence.service.js";
import { presenceRoom, type Device, type PresenceUpdate } from "../../shared/presence/presence.types.js";
import type { GatewayServer } from "../server.js";
import type { GatewaySocket } from "./socket-event.js";

/** Devices refreshed per Redis round trip. */
const HEARTBEAT_BATCH = 500;
/**
 * This replica's liveness key is refreshed this often and lives five times as
 * long: a replica that died stops counting against the connection cap within
 * LIVENESS_TTL_MS, long before its devices expire.
 */
export const LIVENESS_BEAT_MS = 1_000;
export const LIVENESS_TTL_MS = 5_000;

/** The error a refused handshake carries: the client reads `err.data.code`. */
export function connectError(error: unknown, fallback: AppError): ExtendedError {
  const body = toErrorBody(error instanceof AppError ? error : fallback);
  const failure = new Error(body.message) as ExtendedError;
  failure.data = body;
  return failure;
}

/**
 * This replica's side of presence: registers each socket as a device at the
 * handshake (enforcing the per-user connection cap across replicas), removes
 * it on disconnect, refreshes all of its devices on a timer, sweeps devices of
 * replicas that died, and announces transitions to the watchers' rooms.
 */
export class GatewayPresence {
  private readonly local = new Map<string, Device>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private draining = false;
  /** Tags this replica's device entries, so others can tell when their holder died. */
  readonly replicaId = randomBytes(6).toString("hex");

  constructor(
    private readonly io: GatewayServer,
    private readonly presence: PresenceService,
    private readonly logger: Logger,
    /** Heartbeat and sweep period: a third of the device TTL. */
    private readonly intervalMs: number,
  ) {
    const disconnected = (socketId: string) => {
      const device = this.local.get(socketId);
      if (!device) return;
      this.local.delete(socketId);
      // A draining replica hands its devices over in one batch instead (see shutdown).
      if (this.draining) return;
      this.background(this.presence.disconnect(device).then((update) => update && this.announce([update])), "presence disconnect failed");
    };
    this.untrack = function (this: GatewaySocket): void {
      disconnected(this.id);
    };
  }

  /** Handshake middleware, after authentication. */
  readonly admit = async (socket: GatewaySocket, next: (error?: ExtendedError) => void): Promise<void> => {
    try {
      const update = await this.presence.connect(this.deviceOf(socket));
      if (update) this.announce([update]);
      next();
    } catch (error) {
      if (!(error instanceof AppError)) this.logger.warn({ err: error }, "presence unavailable at handshake");
      next(connectError(error, new AppError("UNAVAILABLE", "Presence is unavailable; retry shortly")));
    }
  };

  /** Follows an admitted socket until it disconnects (one listener function shared by every socket). */
  track(socket: GatewaySocket): void {
    this.local.set(socket.id, this.deviceOf(socket));
    socket.on("disconnect", this.untrack);
  }

  /** A socket's disconnect: Socket.IO calls it with the socket as `this`. */
  private readonly untrack: (this: GatewaySocket) => void;

  start(): void {
    const alive = () => this.presence.replicaAlive(this.replicaId, LIVENESS_TTL_MS);
    this.background(alive(), "replica liveness not refreshed");
    this.every(LIVENESS_BEAT_MS, alive, "replica liveness not refreshed");
    this.every(this.intervalMs, () => this.heartbeat(), "presence heartbeat failed");
    // Sweeps start at a random point of the period so replicas do not all sweep at once.
    this.every(this.intervalMs, () => this.sweep(), "presence sweep failed", Math.random() * this.intervalMs);
  }

  /** Stops the timers, disconnects the sockets through `disconnect`, and hands the devices over without flapping. */
  async shutdown(disconnect: () => void): Promise<void> {
    this.draining = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const devices = [...this.local.values()];
    disconnect();
    await Promise.allSettled([...this.inFlight]);
    for (let i = 0; i < devices.length; i += HEARTBEAT_BATCH) {
      await this.presence.drain(devices.slice(i, i + HEARTBEAT_BATCH)).catch((error: unknown) => {
        this.logger.warn({ err: error }, "presence drain failed; the devices will expire instead");
      });
    }
    await this.presence.replicaGone(this.replicaId).catch(() => undefined);
    await this.presence.flushLastSeen();
  }

  private deviceOf(socket: GatewaySocket): Device {
    const device: Device = { userId: socket.data.userId, socketId: socket.id, replicaId: this.replicaId };
    if (socket.data.clientDeviceId) device.deviceId = socket.data.clientDeviceId;
    return device;
  }

  /** Number of sockets this replica tracks. */
  get size(): number {
    return this.local.size;
  }

  private async heartbeat(): Promise<void> {
    // Each batch is read from the live map right before it is sent, so a socket
    // that disconnected meanwhile is never refreshed after its removal.
    const devices = this.local.values();
    for (;;) {
      const batch: Device[] = [];
      for (let next = devices.next(); !next.done; next = devices.next()) {
        batch.push(next.value);
        if (batch.length === HEARTBEAT_BATCH) break;
      }
      if (batch.length === 0) return;
      this.announce(await this.presence.heartbeat(batch));
      if (batch.length < HEARTBEAT_BATCH) return;
    }
  }

  private async sweep(): Promise<void> {
    this.announce(await this.presence.sweep());
  }

  private announce(updates: readonly PresenceUpdate[]): void {
    for (const update of updates) this.io.to(presenceRoom(update.userId)).emit("presence:update", update);
  }

  private background(work: Promise<unknown>, message: string): void {
    const tracked = work.catch((error: unknown) => this.logger.warn({ err: error }, message)).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Runs `task` every `periodMs` (never overlapping itself) until shutdown. */
  private every(periodMs: number, task: () => Promise<void>, message: string, firstDelayMs = periodMs): void {
    const schedule = (delay: number) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void task()
          .catch((error: unknown) => this.logger.warn({ err: error }, message))
          .finally(() => {
            if (!this.draining) schedule(periodMs);
          });
      }, delay);
      timer.unref();
      this.timers.add(timer);
    };
    schedule(firstDelayMs);
  }
}
