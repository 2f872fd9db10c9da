/**
 * Calls benchmark (`npm run bench:calls`), across two gateway replicas:
 *   - invite → the first callee device ringing (`call:incoming`), p50/p99;
 *   - accept on one device → `call:ended-here answered_elsewhere` on the
 *     callee's other devices (the later of the two), p50/p99;
 *   - call set-ups per second (invite + accept + hangup, closed loop);
 *   - `call:signal` relay (ICE candidate messages, caller on one replica,
 *     callee on the other): delivered messages per second and latency, against
 *     a bare Socket.IO relay of the same messages between two bare replicas
 *     with the same sharded Redis adapter, measured in the same run.
 * Targets: ringing p99 ≤ 100 ms, answered-elsewhere p99 ≤ 100 ms, relay ≥ 0.5× bare.
 *   BENCH_PAIRS (8), BENCH_SETUPS (200), BENCH_RELAY_SECONDS (5), BENCH_WINDOW (16)
 */
import { io, type Socket } from "socket.io-client";
import type { CallEndedHereEvent, CallSignalEvent, IncomingCallEvent } from "../../shared/calls/call.events.js";
import type { InviteResult } from "../../shared/calls/call.types.js";
import { createLogger } from "../../shared/logging/logger.js";
import type { AckResponse } from "../../shared/realtime/events.js";
import { createPlatform } from "../../shared/runtime/platform.js";
import { createServices } from "../../shared/runtime/services.js";
import { createTestUser } from "../../test/helpers/users.js";
import { spawn, type ChildProcess } from "node:child_process";
import { BenchStack, freePort, ROOT } from "./gateway-stack.js";

const PAIRS = Number(process.env.BENCH_PAIRS ?? 8);
const SETUPS = Number(process.env.BENCH_SETUPS ?? 200);
const RELAY_SECONDS = Number(process.env.BENCH_RELAY_SECONDS ?? 5);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 16);

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const ms = (value: number) => `${value.toFixed(1)} ms`;

function connect(url: string, auth: Record<string, string>): Promise<Socket> {
  const socket = io(url, { auth, transports: ["websocket"], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

function request<T>(socket: Socket, event: string, payload: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    socket.emit(event, payload, (ack: AckResponse<T>) => (ack.ok ? resolve(ack.data) : reject(new Error(`${event}: ${ack.error.code}`))));
  });
}

/** Resolves when `socket` next gets `event` matching `match` (listener removed after). */
function next<T>(socket: Socket, event: string, match: (payload: T) => boolean, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: T) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(performance.now());
    };
    socket.on(event, listener);
  });
}

const candidate = (id: number) => ({ candidates: [{ candidate: `candidate:${id} 1 udp 2122260223 127.0.0.1 ${40000 + (id % 20000)} typ host generation 0 ufrag abcd network-id 1`, sdpMid: "0", sdpMLineIndex: 0 }] });

/**
 * Closed-loop relay: each sender keeps WINDOW messages in flight; a message
 * counts when the receiver gets it. Answers delivered/s and latency.
 */
async function relayRun(pairs: Array<{ send: (id: number) => void; receiver: Socket; event: string; idOf: (payload: unknown) => number }>, seconds: number) {
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let nextId = 0;
  let delivered = 0;
  let running = true;
  const fire = (pair: (typeof pairs)[number]) => {
    if (!running) return;
    const id = nextId++;
    sentAt.set(id, performance.now());
    pair.send(id);
  };
  for (const pair of pairs) {
    pair.receiver.on(pair.event, (payload: unknown) => {
      const id = pair.idOf(payload);
      const at = sentAt.get(id);
      if (at === undefined) return;
      sentAt.delete(id);
      latencies.push(performance.now() - at);
      delivered++;
      fire(pair);
    });
  }
  const started = performance.now();
  for (const pair of pairs) for (let i = 0; i < WINDOW; i++) fire(pair);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  running = false;
  const elapsed = (performance.now() - started) / 1000;
  for (const pair of pairs) pair.receiver.removeAllListeners(pair.event);
  return { perSecond: delivered / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** The embedded MongoDB-compatible server in its own process, so its work does not delay this process's clocks. */
async function embeddedMongoProcess(): Promise<ChildProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/mongo-embedded.ts", "--port", String(port)], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().startsWith("mongodb://")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`embedded MongoDB exited with ${code}`)));
  });
  process.env.MONGO_URL = `mongodb://127.0.0.1:${port}`;
  return child;
}

const mongo = process.env.MONGO_URL ? undefined : await embeddedMongoProcess();
const stack = new BenchStack();
try {
  await stack.start({ CALL_RING_TIMEOUT_MS: "60000", CALL_SIGNAL_LIMIT: "1000000", SOCKET_MAX_CONNECTIONS_PER_USER: "20" });
  const platform = await createPlatform(stack.config, createLogger(stack.config).child({ role: "bench" }), stack.mongoUrl);
  const services = createServices(platform);
  const [gatewayA, gatewayB, bareA, bareB] = await Promise.all([
    stack.spawn("gateway/main.ts", "GATEWAY_PORT"),
    stack.spawn("gateway/main.ts", "GATEWAY_PORT"),
    stack.spawn("scripts/bench/bare-relay.ts", "PORT", { CHANNEL_PREFIX: `bare${stack.runId}` }),
    stack.spawn("scripts/bench/bare-relay.ts", "PORT", { CHANNEL_PREFIX: `bare${stack.runId}` }),
  ]);

  // Each pair: the caller on replica A; the callee's devices on B (answers), A and B (ring, then stop).
  const pairs = await Promise.all(
    Array.from({ length: PAIRS }, async (_, i) => {
      const [caller, callee] = await Promise.all([createTestUser(services), createTestUser(services)]);
      const conversation = await services.chat.conversations.openDirect(caller, callee.userId);
      const auth = (token: string, deviceId: string) => ({ token, deviceId });
      const [callerSocket, answering, otherA, otherB] = await Promise.all([
        connect(gatewayA.url, auth(caller.accessToken, `c${i}`)),
        connect(gatewayB.url, auth(callee.accessToken, `d${i}-1`)),
        connect(gatewayA.url, auth(callee.accessToken, `d${i}-2`)),
        connect(gatewayB.url, auth(callee.accessToken, `d${i}-3`)),
      ]);
      return { caller, callee, conversationId: conversation.id, callerSocket, answering, others: [otherA, otherB] };
    }),
  );

  // Set-ups: invite → ringing, accept → answered elsewhere, hangup; pairs in parallel, each closed loop.
  const ringing: number[] = [];
  const answered: number[] = [];
  let setups = 0;
  const setupStarted = performance.now();
  await Promise.all(
    pairs.map(async (pair) => {
      for (let n = 0; n < Math.ceil(SETUPS / PAIRS); n++) {
        const devices = [pair.answering, ...pair.others];
        const t0 = performance.now();
        const rings = devices.map((socket) => next<IncomingCallEvent>(socket, "call:incoming", () => true));
        const { call } = await request<InviteResult>(pair.callerSocket, "call:invite", { conversationId: pair.conversationId, mediaType: "audio" });
        ringing.push(Math.min(...(await Promise.all(rings))) - t0);
        const stops = pair.others.map((socket) => next<CallEndedHereEvent>(socket, "call:ended-here", (e) => e.callId === call.id && e.reason === "answered_elsewhere"));
        const t1 = performance.now();
        await request(pair.answering, "call:accept", { callId: call.id });
        answered.push(Math.max(...(await Promise.all(stops))) - t1);
        await request(pair.callerSocket, "call:hangup", { callId: call.id });
        setups++;
      }
    }),
  );
  const setupSeconds = (performance.now() - setupStarted) / 1000;

  // Relay: one active call per pair, candidates from the caller (A) to the callee's device (B).
  const calls = await Promise.all(
    pairs.map(async (pair) => {
      const { call } = await request<InviteResult>(pair.callerSocket, "call:invite", { conversationId: pair.conversationId, mediaType: "audio" });
      await request(pair.answering, "call:accept", { callId: call.id });
      return call.id;
    }),
  );
  const idOfSignal = (payload: unknown) => Number(/^candidate:(\d+)/.exec((payload as CallSignalEvent & { payload: ReturnType<typeof candidate> }).payload.candidates[0]!.candidate)?.[1]);
  const signalled = await relayRun(
    pairs.map((pair, i) => ({
      send: (id: number) => pair.callerSocket.emit("call:signal", { callId: calls[i], toDeviceId: `d${i}-1`, kind: "candidates", payload: candidate(id) }, () => undefined),
      receiver: pair.answering,
      event: "call:signal",
      idOf: idOfSignal,
    })),
    RELAY_SECONDS,
  );
  const bare = await Promise.all(
    pairs.map(async (_, i) => ({
      sender: await connect(bareA.url, { userId: `bs${i}` }),
      receiver: await connect(bareB.url, { userId: `br${i}` }),
      i,
    })),
  );
  const bareRun = await relayRun(
    bare.map(({ sender, receiver, i }) => ({
      send: (id: number) => sender.emit("relay", { to: `br${i}`, body: { callId: calls[i], fromUserId: "x", fromDeviceId: `c${i}`, kind: "candidates", payload: candidate(id) } }, () => undefined),
      receiver,
      event: "relay",
      idOf: idOfSignal,
    })),
    RELAY_SECONDS,
  );

  const ratio = signalled.perSecond / bareRun.perSecond;
  const verdict = (ok: boolean) => (ok ? "meets target" : "MISSES target");
  console.log(`calls benchmark: ${PAIRS} pairs across two gateway replicas, ${setups} set-ups, relay window ${WINDOW} per pair`);
  console.log(`  invite → first device ringing      p50 ${ms(percentile(ringing, 50))}  p99 ${ms(percentile(ringing, 99))}  (${verdict(percentile(ringing, 99) <= 100)}: p99 ≤ 100 ms)`);
  console.log(`  accept → answered_elsewhere        p50 ${ms(percentile(answered, 50))}  p99 ${ms(percentile(answered, 99))}  (${verdict(percentile(answered, 99) <= 100)}: p99 ≤ 100 ms)`);
  console.log(`  call set-ups (invite+accept+hangup) ${(setups / setupSeconds).toFixed(1)}/s`);
  console.log(`  call:signal relay                   ${signalled.perSecond.toFixed(0)} msg/s  p50 ${ms(signalled.p50)}  p99 ${ms(signalled.p99)}`);
  console.log(`  bare Socket.IO relay (baseline)     ${bareRun.perSecond.toFixed(0)} msg/s  p50 ${ms(bareRun.p50)}  p99 ${ms(bareRun.p99)}`);
  console.log(`  relay / bare                        ${ratio.toFixed(2)}×  (${verdict(ratio >= 0.5)}: ≥ 0.5×)`);
  for (const pair of pairs) for (const socket of [pair.callerSocket, pair.answering, ...pair.others]) socket.close();
  for (const { sender, receiver } of bare) {
    sender.close();
    receiver.close();
  }
  await platform.close();
} finally {
  await stack.close();
  mongo?.kill("SIGTERM");
}
process.exit(0);
