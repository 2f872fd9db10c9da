/**
 * The benchmark's load process (forked by scripts/bench/gateway.ts, driven over
 * IPC): opens idle sockets, and runs sender/receiver pairs against the chat
 * gateway (`chat:send` → `chat:message`) or the bare relay (`relay` → `relay`)
 * at a fixed rate or closed-loop, timing send→receive with one clock.
 */
import { randomUUID } from "node:crypto";
import { io, type Socket } from "socket.io-client";

export type Mode = "chat" | "bare";
export interface PairSpec {
  senderAuth: Record<string, string>;
  receiverAuth: Record<string, string>;
  conversationId: string;
  to: string;
}
export interface RunStats {
  sent: number;
  acked: number;
  errors: Record<string, number>;
  received: number;
  seconds: number;
  deliveredPerSec: number;
  p50: number;
  p99: number;
  ackP50: number;
  ackP99: number;
}
export type Command =
  | { cmd: "idle"; url: string; tokens: string[]; count: number; concurrency: number }
  | { cmd: "closeIdle" }
  | { cmd: "openPairs"; mode: Mode; senderUrl: string; receiverUrl: string; pairs: PairSpec[]; socketsPerSender: number }
  | { cmd: "run"; rate: number; window: number; durationMs: number }
  | { cmd: "closePairs" }
  | { cmd: "sync"; url: string; token: string; conversationIds: string[]; limit: number };

/** What a catch-up sync from cursor 0 cost: messages, answers, seconds, the largest acknowledgement. */
export interface SyncStats {
  messages: number;
  answers: number;
  seconds: number;
  maxAckBytes: number;
}

const idle: Socket[] = [];
let senders: Array<{ socket: Socket; pair: PairSpec }> = [];
let receivers: Socket[] = [];
let mode: Mode = "chat";
/** Send time of each message in flight, by id. */
const pending = new Map<string, number>();
let latencies: number[] = [];
let lastReceive = 0;

function connect(url: string, auth: Record<string, string>): Promise<Socket> {
  const socket = io(url, { auth, transports: ["websocket"], reconnection: false, forceNew: true, timeout: 60_000 });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (error: Error & { data?: { code?: string } }) => {
      socket.close();
      reject(new Error(error.data?.code ?? error.message));
    });
  });
}

async function openIdle(url: string, tokens: string[], count: number, concurrency: number) {
  const started = Date.now();
  const failures: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        idle.push(await connect(url, { token: tokens[i % tokens.length]! }));
      } catch (error) {
        const code = (error as Error).message;
        failures[code] = (failures[code] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { connected: idle.length, failures, seconds: (Date.now() - started) / 1000 };
}

function onReceived(id: string): void {
  const sentAt = pending.get(id);
  if (sentAt === undefined) return;
  pending.delete(id);
  lastReceive = performance.now();
  latencies.push(lastReceive - sentAt);
}

async function openPairs(command: Extract<Command, { cmd: "openPairs" }>) {
  mode = command.mode;
  for (const pair of command.pairs) {
    const receiver = await connect(command.receiverUrl, pair.receiverAuth);
    if (mode === "chat") receiver.on("chat:message", (message: { clientMessageId: string }) => onReceived(message.clientMessageId));
    else receiver.on("relay", (body: { id: string }) => onReceived(body.id));
    receivers.push(receiver);
    for (let i = 0; i < command.socketsPerSender; i++) senders.push({ socket: await connect(command.senderUrl, pair.senderAuth), pair });
  }
  return { senders: senders.length, receivers: receivers.length };
}

const percentile = (sorted: number[], p: number): number => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);

/** Fixed rate when `rate` > 0 (open loop); otherwise each sender keeps `window` messages in flight. */
async function run(rate: number, window: number, durationMs: number): Promise<RunStats> {
  pending.clear();
  latencies = [];
  const ackLatencies: number[] = [];
  const errors: Record<string, number> = {};
  let sent = 0;
  let acked = 0;
  let stopped = false;
  const started = performance.now();
  lastReceive = started;

  const sendOne = (index: number): Promise<void> => {
    const { socket, pair } = senders[index % senders.length]!;
    const id = `b-${randomUUID()}`;
    const at = performance.now();
    pending.set(id, at);
    sent++;
    const emitted =
      mode === "chat"
        ? socket.timeout(30_000).emitWithAck("chat:send", { conversationId: pair.conversationId, clientMessageId: id, content: { type: "text", text: "benchmark message" } })
        : socket.timeout(30_000).emitWithAck("relay", { to: pair.to, body: { id } });
    return emitted.then(
      (ack: { ok: boolean; error?: { code: string } }) => {
        ackLatencies.push(performance.now() - at);
        if (ack.ok) acked++;
        else {
          pending.delete(id);
          errors[ack.error?.code ?? "?"] = (errors[ack.error?.code ?? "?"] ?? 0) + 1;
        }
      },
      () => {
        errors.TIMEOUT = (errors.TIMEOUT ?? 0) + 1;
      },
    );
  };

  if (rate > 0) {
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = performance.now() - started;
        if (elapsed >= durationMs) {
          clearInterval(timer);
          resolve();
          return;
        }
        const due = Math.floor((rate * elapsed) / 1000);
        while (sent < due) void sendOne(sent);
      }, 2);
    });
  } else {
    setTimeout(() => (stopped = true), durationMs);
    await Promise.all(
      senders.flatMap((_, s) =>
        Array.from({ length: window }, async () => {
          while (!stopped) await sendOne(s);
        }),
      ),
    );
  }
  const sendSeconds = (performance.now() - started) / 1000;
  // Let messages in flight arrive before counting.
  const drainUntil = performance.now() + 5_000;
  while (pending.size > 0 && performance.now() < drainUntil) await new Promise((resolve) => setTimeout(resolve, 20));
  const sorted = [...latencies].sort((a, b) => a - b);
  const acks = ackLatencies.sort((a, b) => a - b);
  return {
    sent,
    acked: mode === "chat" ? acked : sent - (errors.TIMEOUT ?? 0),
    errors,
    received: latencies.length,
    seconds: sendSeconds,
    deliveredPerSec: latencies.length / Math.max(sendSeconds, (lastReceive - started) / 1000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    ackP50: percentile(acks, 50),
    ackP99: percentile(acks, 99),
  };
}

/** Syncs every conversation from 0 until nothing more is stored, as a reconnecting device does. */
async function catchUp(command: Extract<Command, { cmd: "sync" }>): Promise<SyncStats> {
  const socket = await connect(command.url, { token: command.token });
  const cursors = new Map(command.conversationIds.map((id) => [id, 0]));
  let receiptsSince: string | undefined;
  let [messages, answers, maxAckBytes] = [0, 0, 0];
  const started = performance.now();
  try {
    while (cursors.size > 0) {
      const payload = { conversations: [...cursors].map(([conversationId, seq]) => ({ conversationId, seq })), limit: command.limit, ...(receiptsSince ? { receiptsSince } : {}) };
      const ack = (await socket.timeout(60_000).emitWithAck("chat:sync", payload)) as { ok: boolean; data?: { conversations: Array<{ conversationId: string; changes: Array<{ kind: string }>; cursor: number; hasMore: boolean; pending: boolean }>; receiptsCursor: string }; error?: { code: string } };
      if (!ack.ok || !ack.data) throw new Error(`sync refused: ${ack.error?.code}`);
      answers++;
      maxAckBytes = Math.max(maxAckBytes, Buffer.byteLength(JSON.stringify(ack)));
      receiptsSince = ack.data.receiptsCursor;
      for (const result of ack.data.conversations) {
        messages += result.changes.filter((change) => change.kind === "message").length;
        if (result.hasMore || result.pending) cursors.set(result.conversationId, result.cursor);
        else cursors.delete(result.conversationId);
      }
    }
  } finally {
    socket.close();
  }
  return { messages, answers, seconds: (performance.now() - started) / 1000, maxAckBytes };
}

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case "idle":
      return openIdle(command.url, command.tokens, command.count, command.concurrency);
    case "closeIdle": {
      const count = idle.length;
      for (const socket of idle.splice(0)) socket.close();
      return { closed: count };
    }
    case "openPairs":
      return openPairs(command);
    case "run":
      return run(command.rate, command.window, command.durationMs);
    case "sync":
      return catchUp(command);
    case "closePairs": {
      for (const { socket } of senders) socket.close();
      for (const socket of receivers) socket.close();
      senders = [];
      receivers = [];
      return { closed: true };
    }
  }
}

process.on("message", (message: { id: number; command: Command }) => {
  handle(message.command).then(
    (result) => process.send?.({ id: message.id, result }),
    (error: Error) => process.send?.({ id: message.id, error: error.message }),
  );
});
