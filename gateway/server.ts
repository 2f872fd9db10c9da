import http from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { z } from "zod";
import { closeRedis, createRedis, redisTarget } from "../shared/db/redis.js";
import { AppError, toErrorBody } from "../shared/errors/app-error.js";
import { createOpsHandler } from "../shared/http/ops-handler.js";
import type { Logger } from "../shared/logging/logger.js";
import { metrics } from "../shared/metrics/metrics.js";
import { LocalWindow } from "../shared/rate-limit/local-window.js";
import type { RateRule } from "../shared/rate-limit/rate-limiter.js";
import { RATE_RULES } from "../shared/rate-limit/rate-rules.js";
import { createRealtimeAdapter } from "../shared/realtime/adapter.js";
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from "../shared/runtime/socket-events.js";
import { deviceRoom, sessionRoom, userRoom } from "../shared/realtime/rooms.js";
import type { Platform } from "../shared/runtime/platform.js";
import { checkReadiness } from "../shared/runtime/readiness.js";
import type { Services } from "../shared/runtime/services.js";
import { defineSocketEvents } from "./handlers/index.js";
import { GatewayPresence } from "./handlers/presence-lifecycle.js";
import { SocketExpiry } from "./socket-expiry.js";
import { CallLiveness } from "./call-liveness.js";
import type { EventGuard, GatewaySocket } from "./handlers/socket-event.js";

export type GatewayServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** What every handler module receives. */
export interface GatewayContext {
  platform: Platform;
  services: Services;
  io: GatewayServer;
  eventOptions: { logger: Logger; guard?: EventGuard };
  /** This replica's joined call devices (their liveness heartbeats). */
  callLiveness: CallLiveness;
}

export interface Gateway {
  io: GatewayServer;
  port: number;
  /** Stops accepting, tells clients to reconnect elsewhere, and closes. */
  close(): Promise<void>;
}

const deviceIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, '_' or '-'").optional();

/** The handshake's optional `auth.deviceId`; a malformed one refuses the handshake. */
function parseDeviceId(value: unknown): string | undefined {
  const parsed = deviceIdSchema.safeParse(value);
  if (!parsed.success) throw new AppError("VALIDATION_FAILED", "auth.deviceId must be 1-64 letters, digits, '_' or '-'");
  return parsed.data;
}

/** Starts a gateway replica: Socket.IO over HTTP with the sharded Redis adapter. */
export async function startGateway(platform: Platform, services: Services, port: number): Promise<Gateway> {
  const { config, logger } = platform;
  const ops = createOpsHandler(() => checkReadiness(platform), "gateway");
  const httpServer = http.createServer((req, res) => {
    if (ops(req, res)) return;
    // Socket.IO attaches its own request listener for /socket.io/; anything else is ours to refuse.
    if (!req.url?.startsWith("/socket.io/")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "NOT_FOUND", message: "Not found" } }));
    }
  });
  const pub = createRedis(redisTarget(config), "pub", logger);
  const sub = createRedis(redisTarget(config), "sub", logger);
  const allowAnyOrigin = config.CORS_ORIGINS.includes("*");
  const io: GatewayServer = new Server(httpServer, {
    adapter: createRealtimeAdapter(pub, sub, config.REDIS_PREFIX),
    maxHttpBufferSize: config.SOCKET_MAX_PAYLOAD_BYTES,
    serveClient: false,
    pingInterval: 25_000,
    pingTimeout: 20_000,
    cors: { origin: allowAnyOrigin ? true : config.CORS_ORIGINS, credentials: false },
    // Browsers always send Origin; native clients that send none are let through.
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      const ok = !origin || allowAnyOrigin || config.CORS_ORIGINS.includes(origin);
      callback(ok ? null : "origin not allowed", ok);
    },
  });

  // Pushes from this process's services go through this server: no second adapter and Redis pair.
  platform.realtime.attach(io);

  // The handshake has read what it needs (token, origin); keeping each socket's
  // first HTTP request alive costs ~4 KB per socket (Socket.IO "Memory usage").
  io.engine.on("connection", (rawSocket: { request: unknown }) => {
    rawSocket.request = null;
  });

  // A socket lives on one replica, so its budgets are kept in memory: one for
  // all its events, and tighter ones for the events listed in EVENT_RULES.
  const EVENT_RULES: Readonly<Record<string, RateRule>> = {
    "chat:send": { limit: config.SOCKET_MESSAGE_SEND_LIMIT, windowSeconds: 10 },
    "auth:refresh": { limit: 10, windowSeconds: 60 },
  };
  // ICE candidates come in bursts: call:signal has a budget per socket and call (in its handler) instead of the general one.
  const OWN_BUDGET = new Set(["call:signal"]);
  const windows = new WeakMap<GatewaySocket, Map<string, LocalWindow>>();
  const guard: EventGuard = async (socket, event) => {
    let budgets = windows.get(socket);
    if (!budgets) windows.set(socket, (budgets = new Map([["*", new LocalWindow(RATE_RULES.socketEvents)]])));
    if (OWN_BUDGET.has(event)) return;
    budgets.get("*")!.consume();
    const rule = EVENT_RULES[event];
    if (!rule) return;
    let window = budgets.get(event);
    if (!window) budgets.set(event, (window = new LocalWindow(rule)));
    window.consume();
  };
  const callLiveness = new CallLiveness(services.calls.calls, logger, Math.max(250, Math.floor(config.CALL_PARTY_GRACE_MS / 3)));
  const ctx: GatewayContext = { platform, services, io, eventOptions: { logger, guard }, callLiveness };

  io.use(async (socket, next) => {
    try {
      const deviceId = parseDeviceId(socket.handshake.auth?.deviceId);
      const claims = await services.accessGuard.authenticate(socket.handshake.auth?.token);
      // A device is the id the client gave in the handshake, else its session (call parties are devices).
      socket.data = { userId: claims.userId, sessionId: claims.sessionId, deviceId: deviceId ?? claims.sessionId, roles: claims.roles, expiresAt: claims.expiresAt };
      if (deviceId) socket.data.clientDeviceId = deviceId;
      next();
    } catch (error) {
      const body = toErrorBody(error instanceof AppError ? error : new AppError("UNAUTHENTICATED", "Authentication failed"));
      const failure = new Error(body.message) as Error & { data: unknown };
      failure.data = body;
      next(failure);
    }
  });
  // Each socket is a presence device; admitting it also enforces the per-user connection cap across replicas.
  const presence = new GatewayPresence(io, services.presence, logger, (config.PRESENCE_TTL_SECONDS * 1000) / 3);
  io.use(presence.admit);

  const expiry = new SocketExpiry(io, logger);

  // Client events are defined once; each socket gets shared listeners only (no closures per socket).
  const socketEvents = defineSocketEvents(ctx);
  const disconnected = function (this: GatewaySocket, reason: string): void {
    metrics.socketsConnected.dec();
    logger.debug({ socketId: this.id, userId: this.data.userId, reason }, "socket disconnected");
  };
  io.on("connection", (socket: GatewaySocket) => {
    const { userId, sessionId, deviceId } = socket.data;
    void socket.join([userRoom(userId), sessionRoom(sessionId), deviceRoom(userId, deviceId)]);
    presence.track(socket);
    expiry.check(socket);
    metrics.socketsConnected.inc();
    logger.debug({ socketId: socket.id, userId }, "socket connected");
    socket.on("disconnect", disconnected);
    socketEvents.attach(socket);
  });

  // Liveness first: entries of this replica count against the cap only while it is seen alive.
  presence.start();
  // A deep accept queue lets a reconnect storm wait instead of overflowing (the kernel caps it at net.core.somaxconn).
  await new Promise<void>((resolve) => httpServer.listen({ port, host: config.HOST, backlog: config.GATEWAY_LISTEN_BACKLOG }, resolve));
  const actualPort = (httpServer.address() as AddressInfo).port;
  logger.info({ port: actualPort }, "gateway listening");
  expiry.start();
  callLiveness.start();

  return {
    io,
    port: actualPort,
    async close() {
      // Disconnecting every socket first lets clients reconnect to another replica at once.
      expiry.stop();
      callLiveness.stop();
      await presence.shutdown(() => io.local.disconnectSockets(true));
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await Promise.all([closeRedis(pub), closeRedis(sub)]);
    },
  };
}
