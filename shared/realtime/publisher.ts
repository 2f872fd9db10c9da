import { Server } from "socket.io";
import type { Logger } from "../logging/logger.js";
import { closeRedis, createRedis, type Redis, type RedisTarget } from "../db/redis.js";
import { createRealtimeAdapter } from "./adapter.js";
import type { CoreServerToClientEvents, SessionRevokedEvent } from "./events.js";
import { sessionRoom, userRoom } from "./rooms.js";

/** Up to this many users, a push is published per user room (see `toUsers`). */
export const PER_ROOM_PUBLISH_MAX = 8;

/** The server side a publisher emits through: a gateway's own, or one with an adapter and no listener (typed at the methods). */
type Emitter = Server;
/** The listener arguments of event `E` of map `S`. */
type ArgsOf<S, E extends keyof S> = S[E] extends (...args: infer A) => void ? A : never;

/**
 * Lets any process push to users without holding their sockets. In a gateway
 * it wraps the gateway's own Socket.IO server (`attach`); elsewhere (API,
 * workers) it lazily builds a Socket.IO server with the same sharded adapter
 * and no listener (the Redis emitter package does not speak sharded pub/sub).
 * `S` is the composed server-to-client event map (`shared/runtime/socket-events.ts`).
 */
export class RealtimePublisher<S extends CoreServerToClientEvents = CoreServerToClientEvents> {
  private standalone: { io: Emitter; pub: Redis; sub: Redis } | undefined;
  private attached: Emitter | undefined;

  private constructor(
    private readonly redis: RedisTarget | string,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  static create<S extends CoreServerToClientEvents>(redis: RedisTarget | string, prefix: string, logger: Logger): RealtimePublisher<S> {
    return new RealtimePublisher<S>(redis, prefix, logger);
  }

  /** Emits through a gateway's own server from now on (no second adapter and Redis pair in a gateway). */
  attach(io: unknown): void {
    this.attached = io as Emitter;
    const standalone = this.standalone;
    this.standalone = undefined;
    if (standalone) void this.closeStandalone(standalone);
  }

  private get io(): Emitter {
    if (this.attached) return this.attached;
    if (!this.standalone) {
      const pub = createRedis(this.redis, "pub", this.logger);
      const sub = createRedis(this.redis, "sub", this.logger);
      const io: Emitter = new Server({ adapter: createRealtimeAdapter(pub, sub, this.prefix), serveClient: false });
      this.standalone = { io, pub, sub };
    }
    return this.standalone.io;
  }

  /**
   * Emits to every device of each user, on whichever gateway holds them. A few
   * users get one publish per user room: the sharded adapter sends a single-room
   * emit on that room's own channel, which only the replicas holding the user
   * subscribe to, whereas a multi-room emit goes on the channel every process
   * with an adapter reads (each gateway twice, with its publisher, plus the API
   * and workers) — for a direct chat that was five decodes instead of two. Larger
   * audiences stay one publish, on that shared channel.
   */
  toUsers<E extends keyof S & string>(userIds: readonly string[], event: E, ...args: ArgsOf<S, E>): void {
    if (userIds.length === 0) return;
    if (userIds.length <= PER_ROOM_PUBLISH_MAX) {
      for (const userId of userIds) this.io.to(userRoom(userId)).emit(event, ...args);
      return;
    }
    this.io.to(userIds.map(userRoom)).emit(event, ...args);
  }

  toUser<E extends keyof S & string>(userId: string, event: E, ...args: ArgsOf<S, E>): void {
    this.toUsers([userId], event, ...args);
  }

  /** Emits to every device of a user but those in `exceptRoom` (the device that acted). */
  toUserExcept<E extends keyof S & string>(userId: string, exceptRoom: string, event: E, ...args: ArgsOf<S, E>): void {
    this.io.to(userRoom(userId)).except(exceptRoom).emit(event, ...args);
  }

  /** Tells a session's sockets why, then disconnects them on every gateway. */
  revokeSession(event: SessionRevokedEvent): void {
    const room = sessionRoom(event.sessionId);
    this.io.to(room).emit("session:revoked", event);
    this.io.in(room).disconnectSockets(true);
  }

  /** Emits to every socket in a room (e.g. the watchers of a user's presence). */
  toRoom<E extends keyof S & string>(room: string, event: E, ...args: ArgsOf<S, E>): void {
    this.io.to(room).emit(event, ...args);
  }

  /** Makes every socket in `room`, on every gateway, leave it (e.g. watchers of a user who tightened their privacy). */
  emptyRoom(room: string): void {
    this.io.in(room).socketsLeave(room);
  }

  /** Disconnects every socket of a user (account disabled). */
  disconnectUser(userId: string): void {
    this.io.in(userRoom(userId)).disconnectSockets(true);
  }

  /** Closes the standalone server's adapter and connections (a gateway closes its own). */
  async close(): Promise<void> {
    const standalone = this.standalone;
    this.standalone = undefined;
    if (standalone) await this.closeStandalone(standalone);
  }

  private async closeStandalone({ io, pub, sub }: { io: Emitter; pub: Redis; sub: Redis }): Promise<void> {
    // Server.close() also closes the engine, which a server attached to no HTTP
    // server does not have (it throws and never calls back): close the adapter only.
    await io.of("/").adapter.close();
    await Promise.all([closeRedis(pub), closeRedis(sub)]);
  }
}
