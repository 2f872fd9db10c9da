/**
 * The benchmark's baseline: a bare Socket.IO server with the same sharded Redis
 * adapter (dynamic mode, ioredis) and nothing else — no authentication, no
 * validation, no storage. A client's `relay` {to, body} is emitted to room
 * `user:{to}` on whichever replica holds it and acknowledged.
 *   PORT=... REDIS_URL=... CHANNEL_PREFIX=... tsx scripts/bench/bare-relay.ts
 */
import http from "node:http";
import { createShardedAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { Server } from "socket.io";

const port = Number(process.env.PORT ?? 0);
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const pub = new Redis(redisUrl, { maxRetriesPerRequest: null });
const sub = new Redis(redisUrl, { maxRetriesPerRequest: null });
const httpServer = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200).end("ok");
  } else if (!req.url?.startsWith("/socket.io/")) {
    res.writeHead(404).end();
  }
});
const io = new Server(httpServer, {
  adapter: createShardedAdapter(pub, sub, { channelPrefix: process.env.CHANNEL_PREFIX ?? "bare", subscriptionMode: "dynamic" }),
  serveClient: false,
});

io.on("connection", (socket) => {
  const userId = String((socket.handshake.auth as { userId?: unknown }).userId ?? "");
  void socket.join(`user:${userId}`);
  socket.on("relay", (message: { to: string; body: unknown }, ack?: (response: unknown) => void) => {
    io.to(`user:${message.to}`).emit("relay", message.body);
    ack?.({ ok: true });
  });
});

httpServer.listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
