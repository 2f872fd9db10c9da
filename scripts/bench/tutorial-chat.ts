/**
 * The benchmark's second baseline: a tutorial-grade Socket.IO + MongoDB chat
 * server on the same stores and adapter as the product. JWT handshake (the
 * product's access tokens, verified with the same secret, no session lookup);
 * on `chat:send` it inserts the message, updates the conversation (checking
 * the sender is a participant, returning the participants), emits the message
 * to every participant's room and acknowledges. No idempotency, no seq, no
 * unread counters, no validation beyond the shape, no rate limits.
 *   PORT=... REDIS_URL=... CHANNEL_PREFIX=... MONGO_URL=... MONGO_DB=... JWT_SECRET=... tsx scripts/bench/tutorial-chat.ts
 * Collections: `tutorial_conversations` {_id, participants, lastMessage}, `tutorial_messages`.
 */
import http from "node:http";
import { randomUUID } from "node:crypto";
import { createShardedAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { jwtVerify } from "jose";
import { MongoClient } from "mongodb";
import { Server } from "socket.io";

interface TutorialConversation {
  _id: string;
  participants: string[];
  lastMessage?: { id: string; senderId: string; text: string; createdAt: Date };
}

const port = Number(process.env.PORT ?? 0);
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const key = new TextEncoder().encode(process.env.JWT_SECRET ?? "");
const mongo = await new MongoClient(process.env.MONGO_URL ?? "mongodb://127.0.0.1:27017").connect();
const db = mongo.db(process.env.MONGO_DB);
const conversations = db.collection<TutorialConversation>("tutorial_conversations");
const messages = db.collection<{ _id: string }>("tutorial_messages");

const pub = new Redis(redisUrl, { maxRetriesPerRequest: null });
const sub = new Redis(redisUrl, { maxRetriesPerRequest: null });
const httpServer = http.createServer((req, res) => {
  if (req.url === "/healthz") res.writeHead(200).end("ok");
  else if (!req.url?.startsWith("/socket.io/")) res.writeHead(404).end();
});
const io = new Server(httpServer, {
  adapter: createShardedAdapter(pub, sub, { channelPrefix: process.env.CHANNEL_PREFIX ?? "tutorial", subscriptionMode: "dynamic" }),
  serveClient: false,
});

io.use(async (socket, next) => {
  try {
    const { payload } = await jwtVerify(String((socket.handshake.auth as { token?: unknown }).token ?? ""), key, {
      issuer: process.env.JWT_ISSUER,
      audience: process.env.JWT_AUDIENCE,
    });
    socket.data.userId = payload.sub;
    next();
  } catch {
    next(new Error("unauthorized"));
  }
});

io.on("connection", (socket) => {
  const userId = socket.data.userId as string;
  void socket.join(`user:${userId}`);
  socket.on("chat:send", async (input: { conversationId: string; clientMessageId: string; content: { type: string; text: string } }, ack?: (response: unknown) => void) => {
    try {
      const message = {
        _id: randomUUID(),
        conversationId: input.conversationId,
        senderId: userId,
        clientMessageId: input.clientMessageId,
        type: input.content.type,
        content: input.content,
        createdAt: new Date(),
      };
      await messages.insertOne(message);
      const conversation = await conversations.findOneAndUpdate(
        { _id: input.conversationId, participants: userId },
        { $set: { lastMessage: { id: message._id, senderId: userId, text: input.content.text, createdAt: message.createdAt } } },
        { returnDocument: "after", projection: { participants: 1 } },
      );
      if (!conversation) {
        ack?.({ ok: false, error: { code: "CONVERSATION_NOT_FOUND" } });
        return;
      }
      const pushed = { id: message._id, conversationId: message.conversationId, senderId: userId, clientMessageId: message.clientMessageId, content: message.content, createdAt: message.createdAt.toISOString() };
      for (const participant of conversation.participants) io.to(`user:${participant}`).emit("chat:message", pushed);
      ack?.({ ok: true, data: { id: message._id, createdAt: pushed.createdAt } });
    } catch (error) {
      ack?.({ ok: false, error: { code: "INTERNAL", message: (error as Error).message } });
    }
  });
});

httpServer.listen({ port, host: "127.0.0.1", backlog: Number(process.env.GATEWAY_LISTEN_BACKLOG ?? 4096) });
process.on("SIGTERM", () => process.exit(0));
