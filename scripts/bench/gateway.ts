/**
 * `npm run bench:gateway`: what one gateway process holds and what two relay.
 *   (a) idle authenticated sockets on one gateway, RSS and heap per socket;
 *   (b) messages/s delivered and send→receive p50/p99 across two replicas at fixed rates, and saturated;
 *   (c) the same relay through a bare Socket.IO + sharded Redis adapter server, as a ratio;
 *   (d) MongoDB commands (the gateways' mongo_commands_total) and Redis commands
 *       (INFO commandstats of a private redis-server) per sent message.
 * Options (environment): BENCH_IDLE_SOCKETS (default 50000, capped by `ulimit -n`),
 * BENCH_RATES (default 250,500,1000), BENCH_PAIRS (default 100), BENCH_SECONDS (default 10).
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createLogger } from "../../shared/logging/logger.js";
import { createPlatform } from "../../shared/runtime/platform.js";
import { createServices } from "../../shared/runtime/services.js";
import type { Command, PairSpec, RunStats } from "./gateway-load.js";
import { BenchStack, commandStats, cpuSeconds, monitorCommands, openFileLimit, ROOT, rssOf, scrape, until, type Proc } from "./gateway-stack.js";

const RATES = (process.env.BENCH_RATES ?? "250,500,1000").split(",").map(Number);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 100);
const RUN_MS = Number(process.env.BENCH_SECONDS ?? 10) * 1000;
const COUNT_MESSAGES_RATE = 100;
/** Adapter traffic and our own probes, not the send path. */
const NOT_SEND_PATH = new Set(["spublish", "monitor", "ssubscribe", "sunsubscribe", "info", "ping", "client|setname", "client|setinfo", "hello", "select"]);

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : "n/a");
const sleep = (msec: number) => new Promise((resolve) => setTimeout(resolve, msec));

/** Drives the forked load process. */
class Load {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  constructor(private readonly child: ChildProcess) {
    child.on("message", (message: { id: number; result?: unknown; error?: string }) => {
      const entry = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.error !== undefined) entry?.reject(new Error(message.error));
      else entry?.resolve(message.result);
    });
  }

  call<T>(command: Command): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, command });
    });
  }
}

async function heapUsed(gateway: Proc): Promise<number> {
  return (await scrape(gateway.url, "nodejs_heap_size_used_bytes")).total;
}
async function socketsOn(gateway: Proc): Promise<number> {
  return (await scrape(gateway.url, "gateway_sockets_connected")).total;
}

const stack = new BenchStack();
const rows: string[][] = [];
const notes: string[] = [];
const row = (...cells: Array<string | number>) => rows.push(cells.map(String));
let loadChild: ChildProcess | undefined;

try {
  const fdLimit = await openFileLimit();
  const idleTarget = Math.min(Number(process.env.BENCH_IDLE_SOCKETS ?? 50_000), fdLimit - 1_000);
  if (idleTarget < Number(process.env.BENCH_IDLE_SOCKETS ?? 50_000)) notes.push(`idle sockets capped at ${idleTarget} by the open-file limit (ulimit -n = ${fdLimit}) of each process`);
  console.error(`starting stores (run ${stack.runId})…`);
  await stack.start({ SOCKET_MAX_CONNECTIONS_PER_USER: "1000", PRESENCE_TTL_SECONDS: "3600" });

  const platform = await createPlatform(stack.config, createLogger(stack.config).child({ role: "bench" }), stack.mongoUrl);
  const services = createServices(platform);
  console.error(`registering ${PAIRS * 2} users and ${PAIRS} conversations…`);
  const users: Array<{ userId: string; sessionId: string; roles: string[]; accessToken: string }> = [];
  for (let i = 0; i < PAIRS * 2; i++) {
    const registered = await services.auth.register(
      { email: `bench-${stack.runId}-${i}@example.test`, password: `Bench-pass-${stack.runId}-${i}`, fullName: `Bench User ${i}` },
      { ip: `10.${(i >> 8) & 255}.${i & 255}.1`, userAgent: "bench" },
    );
    users.push({ userId: registered.user.id, sessionId: registered.sessionId, roles: ["user"], accessToken: registered.accessToken });
  }
  const chatPairs: PairSpec[] = [];
  const barePairs: PairSpec[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const sender = users[2 * i]!;
    const receiver = users[2 * i + 1]!;
    const conversation = await services.chat.conversations.openDirect(sender, receiver.userId);
    chatPairs.push({ senderAuth: { token: sender.accessToken }, receiverAuth: { token: receiver.accessToken }, conversationId: conversation.id, to: receiver.userId });
    barePairs.push({ senderAuth: { userId: sender.userId }, receiverAuth: { userId: receiver.userId }, conversationId: conversation.id, to: receiver.userId });
  }

  console.error("starting two gateways and two bare relays…");
  const [g1, g2, b1, b2] = await Promise.all([
    stack.spawn("gateway/main.ts", "GATEWAY_PORT"),
    stack.spawn("gateway/main.ts", "GATEWAY_PORT"),
    stack.spawn("scripts/bench/bare-relay.ts", "PORT", { CHANNEL_PREFIX: `bare${stack.runId}` }),
    stack.spawn("scripts/bench/bare-relay.ts", "PORT", { CHANNEL_PREFIX: `bare${stack.runId}` }),
  ]);
  const forkLoad = () => {
    loadChild?.kill("SIGKILL");
    loadChild = fork(path.join(ROOT, "scripts/bench/gateway-load.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    return new Load(loadChild);
  };
  let load = forkLoad();
  const tokens = users.map((u) => u.accessToken);

  // (a) Idle sockets on one gateway.
  await load.call({ cmd: "idle", url: g1.url, tokens, count: 200, concurrency: 50 });
  await load.call({ cmd: "closeIdle" });
  await until(async () => (await socketsOn(g1)) === 0, 30_000, "warm-up sockets to close");
  await sleep(2_000);
  const [rssBefore, heapBefore] = [await rssOf(g1.child.pid!), await heapUsed(g1)];
  console.error(`(a) opening ${idleTarget} idle sockets on one gateway…`);
  const opened = await load.call<{ connected: number; failures: Record<string, number>; seconds: number }>({ cmd: "idle", url: g1.url, tokens, count: idleTarget, concurrency: 200 });
  await sleep(5_000);
  const [rssAfter, heapAfter, held] = [await rssOf(g1.child.pid!), await heapUsed(g1), await socketsOn(g1)];
  row("(a) idle sockets held by one gateway", `${held} (handshakes: ${(opened.connected / opened.seconds).toFixed(0)}/s)`);
  row("(a) RSS per socket", `${kb((rssAfter - rssBefore) / held)} (RSS ${mb(rssBefore)} → ${mb(rssAfter)})`);
  row("(a) JS heap per socket", `${kb((heapAfter - heapBefore) / held)} (heap ${mb(heapBefore)} → ${mb(heapAfter)})`);
  if (Object.keys(opened.failures).length > 0) notes.push(`idle handshakes refused: ${JSON.stringify(opened.failures)}`);
  await load.call({ cmd: "closeIdle" });
  await until(async () => (await socketsOn(g1)) === 0, 120_000, "idle sockets to close");
  // A fresh load process: collecting the closed sockets' memory would pause the one that held them.
  load = forkLoad();
  await sleep(5_000);

  // (b)/(c) The same relay through our gateways and through the bare server.
  const relay = async (label: string, mode: "chat" | "bare", send: Proc, receive: Proc, pairs: PairSpec[]) => {
    const [sendUrl, receiveUrl] = [send.url, receive.url];
    console.error(`(${mode === "chat" ? "b" : "c"}) ${label}: ${pairs.length} pairs across two replicas…`);
    await load.call({ cmd: "openPairs", mode, senderUrl: sendUrl, receiverUrl: receiveUrl, pairs, socketsPerSender: 1 });
    await load.call<RunStats>({ cmd: "run", rate: 100, window: 0, durationMs: 2_000 });
    const results: Array<{ rate: string; stats: RunStats }> = [];
    for (const rate of RATES) results.push({ rate: `${rate}/s`, stats: await load.call<RunStats>({ cmd: "run", rate, window: 0, durationMs: RUN_MS }) });
    const pids = { "gateway/relay 1": send.child.pid!, "gateway/relay 2": receive.child.pid!, "MongoDB + bench": process.pid, load: loadChild!.pid!, Redis: stack.redisPid };
    const cpuBefore = await Promise.all(Object.values(pids).map(cpuSeconds));
    const started = performance.now();
    results.push({ rate: "saturated", stats: await load.call<RunStats>({ cmd: "run", rate: 0, window: 4, durationMs: RUN_MS }) });
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = await Promise.all(Object.values(pids).map(cpuSeconds));
    const cpu = Object.keys(pids).map((name, i) => `${name} ${((100 * (cpuAfter[i]! - cpuBefore[i]!)) / seconds).toFixed(0)}%`);
    for (const { rate, stats } of results) {
      const lost = stats.sent - stats.received - Object.values(stats.errors).reduce((a, b) => a + b, 0);
      row(
        `(${mode === "chat" ? "b" : "c"}) ${label} @ ${rate}`,
        `${stats.deliveredPerSec.toFixed(0)} msg/s delivered; p50 ${ms(stats.p50)}, p99 ${ms(stats.p99)}; ack p50 ${ms(stats.ackP50)}, p99 ${ms(stats.ackP99)}` +
          `${lost > 0 ? `; ${lost} not received` : ""}${Object.keys(stats.errors).length ? `; errors ${JSON.stringify(stats.errors)}` : ""}`,
      );
    }
    row(`(${mode === "chat" ? "b" : "c"}) ${label} CPU when saturated (of one core)`, cpu.join(", "));
    return results;
  };
  const chat = await relay("chat gateway", "chat", g1, g2, chatPairs);

  // (d) Store commands per sent message, at a low fixed rate on the open chat pairs.
  const [m1, m2, r0] = await Promise.all([scrape(g1.url, "mongo_commands_total"), scrape(g2.url, "mongo_commands_total"), commandStats(stack.redisPort)]);
  let counted: RunStats | undefined;
  const monitored = await monitorCommands(stack.redisPort, async () => {
    counted = await load.call<RunStats>({ cmd: "run", rate: COUNT_MESSAGES_RATE, window: 0, durationMs: 3_000 });
  });
  const [m1b, m2b, r1] = await Promise.all([scrape(g1.url, "mongo_commands_total"), scrape(g2.url, "mongo_commands_total"), commandStats(stack.redisPort)]);
  const mongoBy = new Map<string, number>();
  for (const [before, after] of [[m1, m1b], [m2, m2b]] as const) {
    for (const [command, value] of after.by) mongoBy.set(command, (mongoBy.get(command) ?? 0) + value - (before.by.get(command) ?? 0));
  }
  const sends = counted!.acked;
  const mongoTotal = [...mongoBy.values()].reduce((a, b) => a + b, 0);
  row("(d) MongoDB commands per send", `${(mongoTotal / sends).toFixed(2)} (${[...mongoBy].filter(([, n]) => n > 0).map(([c, n]) => `${c} ${(n / sends).toFixed(2)}`).join(", ")}; ${sends} sends)`);
  const redisBy = [...r1].map(([command, calls]) => [command, calls - (r0.get(command) ?? 0)] as const).filter(([, n]) => n > 0);
  const sendPath = redisBy.filter(([command]) => !NOT_SEND_PATH.has(command));
  const redisTotal = sendPath.reduce((a, [, n]) => a + n, 0);
  const publishes = redisBy.find(([command]) => command === "spublish")?.[1] ?? 0;
  const trips = [...monitored].filter(([command]) => !NOT_SEND_PATH.has(command));
  const tripTotal = trips.reduce((a, [, n]) => a + n, 0);
  row("(d) Redis round trips per send (besides the adapter)", `${(tripTotal / sends).toFixed(2)} (${trips.map(([c, n]) => `${c} ${(n / sends).toFixed(2)}`).join(", ") || "none"}; MONITOR, MULTI…EXEC once)`);
  row("(d) Redis commands per send, scripts' inside", `${(redisTotal / sends).toFixed(2)} (${sendPath.map(([c, n]) => `${c} ${(n / sends).toFixed(2)}`).join(", ") || "none"}); adapter SPUBLISH ${(publishes / sends).toFixed(2)}`);
  await load.call({ cmd: "closePairs" });

  const bare = await relay("bare Socket.IO relay", "bare", b1, b2, barePairs);
  await load.call({ cmd: "closePairs" });
  const saturatedChat = chat[chat.length - 1]!.stats.deliveredPerSec;
  const saturatedBare = bare[bare.length - 1]!.stats.deliveredPerSec;
  row("(c) saturated throughput, chat ÷ bare", `${((100 * saturatedChat) / saturatedBare).toFixed(0)}% (${saturatedChat.toFixed(0)} vs ${saturatedBare.toFixed(0)} msg/s)`);
  await platform.close();
} finally {
  loadChild?.kill("SIGKILL");
  await stack.close();
}

const width = Math.max(...rows.map((r) => r[0]!.length));
console.log(`\nGateway benchmark (${PAIRS} sender→receiver pairs, ${RUN_MS / 1000} s per rate, MongoDB: ${process.env.MONGO_URL ? "MONGO_URL" : "embedded server"})\n`);
for (const [label, value] of rows) console.log(`${label!.padEnd(width)}  ${value}`);
for (const note of notes) console.log(`note: ${note}`);
