import { createServer, type Server, type Socket } from 'node:net';
import { dispatchCommand } from './command-dispatcher.js';
import { CursorRegistry } from './cursor-registry.js';
import { DatabaseCatalog } from './database-catalog.js';
import { MongoServerError } from './mongo-error.js';
import type { ServerContext } from './server-context.js';
import { ShardingState, type ShardKeyMode } from './shard-keys.js';
import { sweepExpired } from './ttl-sweeper.js';
import { encodeOpMsg, encodeOpReply, OpCode, parseMessage } from './wire-protocol.js';

/** Options for {@link startEmbeddedMongo}. */
export interface EmbeddedMongoOptions {
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Refuse queries that no index can serve, like MongoDB's `notablescan`. Default true. */
  notablescan?: boolean;
  /**
   * `strict` refuses a query, update or delete on a collection sharded with `shardCollection`
   * whose filter does not target the shard key, an insert without the key and an update that
   * changes it (see docs/embedded-mongo.md). Default: `strict` when the environment has
   * MONGO_EMBEDDED_SHARD_STRICT=1, else `off` (keys are recorded and routing is counted).
   */
  shardKeyMode?: ShardKeyMode;
  /** How often expired TTL documents are removed, in ms. Default 60000 (MongoDB's TTL monitor period). */
  ttlSweepIntervalMs?: number;
  /** Where the server's log lines go. Default: stderr. */
  log?: (msg: string) => void;
}

/** A running embedded server. */
export interface EmbeddedMongo {
  /** Connection string for the official driver, e.g. `mongodb://127.0.0.1:27017/?directConnection=true`. */
  uri: string;
  port: number;
  /** Closes every connection and the listener. */
  stop(): Promise<void>;
}

/** MongoDB's limit on a whole wire message. */
const MAX_MESSAGE_BYTES = 48_000_000;

/**
 * Starts a MongoDB-compatible server for development and tests. It keeps everything in
 * memory, is single-node, and is not meant for production data.
 */
export async function startEmbeddedMongo(options: EmbeddedMongoOptions = {}): Promise<EmbeddedMongo> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((msg: string) => process.stderr.write(`[embedded-mongo] ${msg}\n`));
  let port = 0;
  const ctx: ServerContext = {
    catalog: new DatabaseCatalog(),
    cursors: new CursorRegistry(),
    notablescan: options.notablescan ?? true,
    sharding: new ShardingState(options.shardKeyMode ?? (process.env.MONGO_EMBEDDED_SHARD_STRICT === '1' ? 'strict' : 'off')),
    log,
    port: () => port,
  };
  const sockets = new Set<Socket>();
  let nextConnectionId = 1;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    handleConnection(ctx, socket, nextConnectionId++);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  const sweep = setInterval(() => {
    const removed = sweepExpired(ctx.catalog);
    ctx.cursors.reap();
    if (removed) log(`TTL sweep removed ${removed} expired document(s)`);
  }, options.ttlSweepIntervalMs ?? 60_000);
  sweep.unref();
  log(`embedded MongoDB-compatible server listening on ${host}:${port} (in-memory, development and tests only — never a production store; notablescan ${ctx.notablescan ? 'on' : 'off'}, shard-key mode ${ctx.sharding.mode})`);
  return {
    uri: `mongodb://${host}:${port}/?directConnection=true`,
    port,
    stop: async () => {
      clearInterval(sweep);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Frames messages from the byte stream and answers each one in order. */
function handleConnection(ctx: ServerContext, socket: Socket, connectionId: number): void {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  socket.on('data', (chunk: Buffer) => {
    pending.push(chunk);
    pendingBytes += chunk.length;
    while (pendingBytes >= 4) {
      const head = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
      pending = [head];
      const size = head.readInt32LE(0);
      if (size < 16 || size > MAX_MESSAGE_BYTES) {
        ctx.log(`connection ${connectionId}: invalid message length ${size}; closing`);
        socket.destroy();
        return;
      }
      if (head.length < size) return;
      const message = head.subarray(0, size);
      const rest = head.subarray(size);
      pending = rest.length ? [rest] : [];
      pendingBytes = rest.length;
      const reply = answer(ctx, message, connectionId);
      if (reply) socket.write(reply);
    }
  });
}

function answer(ctx: ServerContext, message: Buffer, connectionId: number): Buffer | undefined {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  try {
    const req = parseMessage(message);
    const db = typeof req.command.$db === 'string' ? req.command.$db : (req.legacyDb ?? 'admin');
    const reply = dispatchCommand(ctx, { db, cmd: req.command, connectionId });
    if (req.noReply) return undefined;
    return req.opCode === OpCode.QUERY ? encodeOpReply(requestId, reply) : encodeOpMsg(requestId, reply);
  } catch (err) {
    const e = err instanceof MongoServerError ? err : new MongoServerError('BadValue', err instanceof Error ? err.message : String(err));
    const reply = { ok: 0, ...e.toReply() };
    return opCode === OpCode.QUERY ? encodeOpReply(requestId, reply) : encodeOpMsg(requestId, reply);
  }
}
