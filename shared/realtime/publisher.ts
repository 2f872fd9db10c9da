import { Server } from "socket.io";
import type { Logger } from "../logging/logger.js";
import { closeRedis, createRedis, type Redis } from "../db/redis.js";
import { createRealtimeAdapter } from "./adapter.js";
import type { InterServerEvents, ServerToClientEvents, SessionRevokedEvent, SocketData } from "./events.js";
import { sessionRoom, userRoom } from "./rooms.js";

type EventName = keyof ServerToClientEvents;

/** Up to this many users, a push is published per user room (see `toUsers`). */
export const PER_ROOM_PUBLISH_MAX = 8;
type EventArgs<E extends EventName> = Parameters<ServerToClientEvents[E]>;

/**
 * Lets the API and workers push to users without holding client sockets: a
 * Socket.IO server with the same sharded adapter as the gateways and no
 * listener (the Redis emitter package does not speak sharded pub/sub).
 */
export class RealtimePublisher {
  private constructor(
    private readonly io: Server<Record<string, never>, ServerToClientEvents, InterServerEvents, SocketData>,
    private readonly pub: Redis,
    private readonly sub: Redis,
  ) {}

  static create(redisUrl: string, prefix: string, logger: Logger): RealtimePublisher {
    const pub = createRedis(redisUrl, "pub", logger);
    const sub = createRedis(redisUrl, "sub", logger);
    const io = new Server<Record<string, never>, ServerToClientEvents, InterServerEvents, SocketData>({
      adapter: createRealtimeAdapter(pub, sub, prefix),
      serveClient: false,
    });
    return new RealtimePublisher(io, pub, sub);
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
  toUsers<E extends EventName>(userIds: readonly string[], event: E, ...args: EventArgs<E>): void {
    if (userIds.length === 0) return;
    if (userIds.length <= PER_ROOM_PUBLISH_MAX) {
      for (const userId of userIds) this.io.to(userRoom(userId)).emit(event, ...args);
      return;
    }
    this.io.to(userIds.map(userRoom)).emit(event, ...args);
  }

  toUser<E extends EventName>(userId: string, event: E, ...args: EventArgs<E>): void {
    this.toUsers([userId], event, ...args);
  }

  /** Emits to every device of a user but those in `exceptRoom` (the device that acted). */
  toUserExcept<E extends EventName>(userId: string, exceptRoom: string, event: E, ...args: EventArgs<E>): void {
    this.io.to(userRoom(userId)).except(exceptRoom).emit(event, ...args);
  }

  /** Tells a session's sockets why, then disconnects them on every gateway. */
  revokeSession(event: SessionRevokedEvent): void {
    const room = sessionRoom(event.sessionId);
    this.io.to(room).emit("session:revoked", event);
    this.io.in(room).disconnectSockets(true);
  }

  /** Emits to every socket in a room (e.g. the watchers of a user's presence). */
  toRoom<E extends EventName>(room: string, event: E, ...args: EventArgs<E>): void {
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

  async close(): Promise<void> {
    // Server.close() also closes the engine, which a server attached to no HTTP
    // server does not have (it throws and never calls back): close the adapter only.
    await this.io.of("/").adapter.close();
    await Promise.all([closeRedis(this.pub), closeRedis(this.sub)]);
  }
}
