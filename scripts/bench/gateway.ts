/**
 * `npm run bench:gateway`: the chat gateway against a tutorial-grade chat server
 * (scripts/bench/tutorial-chat.ts) and a bare relay, on the same stores, adapter,
 * load process and topology (two replicas of each, senders on one, receivers on
 * the other), product and tutorial run alternately in each round:
 *   - saturated delivered msg/s and p99 send→receive at 1,000 msg/s per round,
 *     CPU of the sending replica per message at 1,000 msg/s, refused sends;
 *   - reconnect storms of BENCH_STORM_USERS users (500 in flight, cold; then
 *     all at once after a drain): handshakes/s and listen-queue overflows;
 *   - idle RSS per socket; catch-up sync msgs/s and the largest ack;
 *   - MongoDB commands and Redis round trips per send; a CPU profile split of
 *     the sending gateway at 1,000 msg/s (node --cpu-prof).
 * Options (environment): BENCH_QUICK=1 (or --quick: 1 round, short runs, small
 * storms), BENCH_ROUNDS (3), BENCH_SECONDS (8 per run), BENCH_PAIRS (100),
 * BENCH_SOCKETS_PER_SENDER (4), BENCH_STORM_USERS (5000), BENCH_IDLE_SOCKETS
 * (10000), BENCH_SYNC_CONVERSATIONS (50, 200 messages each), BENCH_PROFILE (1),
 * BENCH_PROFILE_KEEP (a path: the sending gateway's .cpuprofile is copied there).
 */
import { copyFile, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sendMessageSchema } from "../../shared/chat/chat.schema.js";
import { createLogger } from "../../shared/logging/logger.js";
import { createPlatform } from "../../shared/runtime/platform.js";
import { createServices } from "../../shared/runtime/services.js";
import { profileSplit } from "./cpu-profile.js";
import { heapUsed, kb, listenOverflows, Load, mb, median, ms, sleep, socketsOn } from "./gateway-driver.js";
import type { PairSpec, RunStats, SyncStats } from "./gateway-load.js";
import { BenchStack, commandStats, cpuSeconds, monitorCommands, rssOf, scrape, until, type Proc } from "./gateway-stack.js";

const QUICK = process.env.BENCH_QUICK === "1" || process.argv.includes("--quick");
const env = (name: string, full: number, quick: number) => Number(process.env[name] ?? (QUICK ? quick : full));
const ROUNDS = env("BENCH_ROUNDS", 3, 1);
const RUN_MS = env("BENCH_SECONDS", 8, 4) * 1000;
const PAIRS = env("BENCH_PAIRS", 100, 100);
const SOCKETS_PER_SENDER = env("BENCH_SOCKETS_PER_SENDER", 4, 4);
const STORM_USERS = env("BENCH_STORM_USERS", 5000, 1000);
const IDLE_SOCKETS = env("BENCH_IDLE_SOCKETS", 10_000, 2_000);
const SYNC_CONVERSATIONS = env("BENCH_SYNC_CONVERSATIONS", 50, 10);
const SYNC_PER_CONVERSATION = 200;
const PROFILE = env("BENCH_PROFILE", 1, 0) === 1;
/** Adapter traffic and our own probes, not the send path. */
const NOT_SEND_PATH = new Set(["spublish", "monitor", "ssubscribe", "sunsubscribe", "info", "ping", "client|setname", "client|setinfo", "hello", "select", "subscribe", "publish"]);

const stack = new BenchStack();
const rows: string[][] = [];
const row = (...cells: Array<string | number>) => {
  rows.push(cells.map(String));
  console.error(`  ${cells.join(": ")}`);
};
/** NaN crosses IPC as null. */
const num = (value: number | null) => value ?? Number.NaN;
let load: Load | undefined;

try {
  console.error(`starting stores (run ${stack.runId})…`);
  await stack.start({ SOCKET_MAX_CONNECTIONS_PER_USER: "1000", PRESENCE_TTL_SECONDS: "3600" });
  const platform = await createPlatform(stack.config, createLogger(stack.config).child({ role: "bench" }), stack.mongoUrl);
  const services = createServices(platform);
  const db = platform.mongo.db;

  console.error(`registering ${PAIRS * 2} users, ${PAIRS} conversations and ${STORM_USERS} storm sessions…`);
  const users: Array<{ userId: string; sessionId: string; roles: string[]; accessToken: string }> = [];
  for (let i = 0; i < PAIRS * 2; i++) {
    const registered = await services.auth.register(
      { email: `bench-${stack.runId}-${i}@example.test`, password: `Bench-pass-${stack.runId}-${i}`, fullName: `Bench User ${i}` },
      { ip: `10.${(i >> 8) & 255}.${i & 255}.1`, userAgent: "bench" },
    );
    users.push({ userId: registered.user.id, sessionId: registered.sessionId, roles: ["user"], accessToken: registered.accessToken });
  }
  const pairs: { product: PairSpec[]; tutorial: PairSpec[]; bare: PairSpec[] } = { product: [], tutorial: [], bare: [] };
  for (let i = 0; i < PAIRS; i++) {
    const [sender, receiver] = [users[2 * i]!, users[2 * i + 1]!];
    const conversation = await services.chat.conversations.openDirect(sender, receiver.userId);
    const spec = { senderAuth: { token: sender.accessToken }, receiverAuth: { token: receiver.accessToken }, conversationId: conversation.id, to: receiver.userId };
    pairs.product.push(spec);
    pairs.tutorial.push(spec);
    pairs.bare.push({ ...spec, senderAuth: { userId: sender.userId }, receiverAuth: { userId: receiver.userId } });
    await db.collection<{ _id: string; participants: string[] }>("tutorial_conversations").insertOne({ _id: conversation.id, participants: [sender.userId, receiver.userId] });
  }
  await db.collection("tutorial_messages").createIndex({ conversationId: 1, createdAt: 1 });
  // Storm users: rows straight into PostgreSQL (no password hashing), sessions through the real sign-in path.
  const stormIds = (
    await platform.pg.query<{ id: string }>(
      "INSERT INTO users (email, password_hash, full_name) SELECT 'storm-' || $1 || '-' || g || '@example.test', 'x', 'Storm ' || g FROM generate_series(1, $2::int) g RETURNING id",
      [stack.runId, STORM_USERS],
    )
  ).rows.map((r) => r.id);
  const stormTokens: string[] = new Array(stormIds.length);
  let nextStorm = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (nextStorm < stormIds.length) {
        const i = nextStorm++;
        stormTokens[i] = (await services.sessions.start(stormIds[i]!, { ip: "10.9.9.9", userAgent: "bench storm" })).accessToken;
      }
    }),
  );

  console.error("starting two gateways, two tutorial servers and two bare relays…");
  const tutorialEnv = { CHANNEL_PREFIX: `tut${stack.runId}`, JWT_SECRET: stack.config.JWT_SECRET, JWT_ISSUER: stack.config.JWT_ISSUER, JWT_AUDIENCE: stack.config.JWT_AUDIENCE };
  const [g1, g2, t1, t2, b1, b2] = await Promise.all([
    stack.spawn("gateway/main.ts", "GATEWAY_PORT"),
    stack.spawn("gateway/main.ts", "GATEWAY_PORT"),
    stack.spawn("scripts/bench/tutorial-chat.ts", "PORT", tutorialEnv),
    stack.spawn("scripts/bench/tutorial-chat.ts", "PORT", tutorialEnv),
    stack.spawn("scripts/bench/bare-relay.ts", "PORT", { CHANNEL_PREFIX: `bare${stack.runId}` }),
    stack.spawn("scripts/bench/bare-relay.ts", "PORT", { CHANNEL_PREFIX: `bare${stack.runId}` }),
  ]);
  const systems = { product: { send: g1, receive: g2 }, tutorial: { send: t1, receive: t2 } } as const;
  load = Load.fork();
  const tokens = users.map((u) => u.accessToken);

  // Idle sockets: RSS per socket on one replica of each.
  for (const [name, proc, hasMetrics] of [["product", g1, true], ["tutorial", t1, false]] as const) {
    await load.call({ cmd: "idle", url: proc.url, tokens, count: 200, concurrency: 50 });
    await load.call({ cmd: "closeIdle" });
    await sleep(3_000);
    const [rssBefore, heapBefore] = [await rssOf(proc.child.pid!), hasMetrics ? await heapUsed(proc) : 0];
    console.error(`idle: ${IDLE_SOCKETS} sockets on one ${name} replica…`);
    const opened = await load.call<{ connected: number; failures: Record<string, number>; seconds: number }>({ cmd: "idle", url: proc.url, tokens, count: IDLE_SOCKETS, concurrency: 200 });
    await sleep(5_000);
    const rssAfter = await rssOf(proc.child.pid!);
    const heap = hasMetrics ? `; JS heap ${kb(((await heapUsed(proc)) - heapBefore) / opened.connected)}` : "";
    row(`idle RSS per socket, ${name}`, `${kb((rssAfter - rssBefore) / opened.connected)} (${opened.connected} sockets, RSS ${mb(rssBefore)} → ${mb(rssAfter)}${heap})`);
    await load.call({ cmd: "closeIdle" });
    if (hasMetrics) await until(async () => (await socketsOn(proc)) === 0, 120_000, "idle sockets to close");
  }
  load.kill();
  load = Load.fork();

  // Alternating rounds: the same load against the product and the tutorial-grade server.
  const figures = { product: { saturated: [] as number[], p99: [] as number[], cpu: [] as number[] }, tutorial: { saturated: [] as number[], p99: [] as number[], cpu: [] as number[] } };
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? (["product", "tutorial"] as const) : (["tutorial", "product"] as const);
    for (const name of order) {
      const { send, receive } = systems[name];
      console.error(`round ${round}: ${name}…`);
      await load.call({ cmd: "openPairs", mode: "chat", senderUrl: send.url, receiverUrl: receive.url, pairs: pairs[name], socketsPerSender: SOCKETS_PER_SENDER });
      await load.call<RunStats>({ cmd: "run", rate: 200, window: 0, durationMs: 2_000 });
      const [cpuBefore, mongoBefore] = [await cpuSeconds(send.child.pid!), await cpuSeconds(process.pid)];
      const fixed = await load.call<RunStats>({ cmd: "run", rate: 1000, window: 0, durationMs: RUN_MS });
      const cpuUs = ((await cpuSeconds(send.child.pid!)) - cpuBefore) * 1e6 / Math.max(fixed.acked, 1);
      // The embedded MongoDB runs in this process: its CPU per message, when MONGO_URL is not set.
      const mongoUs = ((await cpuSeconds(process.pid)) - mongoBefore) * 1e6 / Math.max(fixed.acked, 1);
      const saturated = await load.call<RunStats>({ cmd: "run", rate: 0, window: 1, durationMs: RUN_MS });
      await load.call({ cmd: "closePairs" });
      figures[name].saturated.push(num(saturated.deliveredPerSec));
      figures[name].p99.push(num(fixed.p99));
      figures[name].cpu.push(cpuUs);
      const refused = (stats: RunStats) => Object.entries(stats.errors).map(([code, n]) => `${code} ${n}`).join(", ") || "none";
      row(`round ${round} ${name}: 1,000 msg/s`, `${fixed.deliveredPerSec.toFixed(0)} delivered/s; p50 ${ms(fixed.p50)}, p99 ${ms(fixed.p99)}; sending replica ${cpuUs.toFixed(0)} µs CPU/msg, MongoDB${process.env.MONGO_URL ? "" : " (embedded) + bench"} ${mongoUs.toFixed(0)} µs; refused: ${refused(fixed)}`);
      row(`round ${round} ${name}: saturated`, `${saturated.deliveredPerSec.toFixed(0)} delivered/s (${PAIRS * SOCKETS_PER_SENDER} sending sockets, 1 in flight each); p50 ${ms(saturated.p50)}, p99 ${ms(saturated.p99)}; refused: ${refused(saturated)}`);
    }
  }
  if (process.env.BENCH_SHOW_OUTPUT === "1") console.error(`sending gateway output (tail):\n${g1.output().slice(-3000)}`);
  const [sp, st] = [median(figures.product.saturated), median(figures.tutorial.saturated)];
  row("saturated, median of rounds", `product ${sp.toFixed(0)} msg/s, tutorial ${st.toFixed(0)} msg/s: product ÷ tutorial = ${(sp / st).toFixed(2)}`);
  row("p99 at 1,000 msg/s per round", `product ${figures.product.p99.map((v) => v.toFixed(1)).join(" / ")} ms; tutorial ${figures.tutorial.p99.map((v) => v.toFixed(1)).join(" / ")} ms; median ratio ${(median(figures.product.p99) / median(figures.tutorial.p99)).toFixed(2)}`);
  row("sending replica CPU per message at 1,000 msg/s", `product ${figures.product.cpu.map((v) => v.toFixed(0)).join(" / ")} µs; tutorial ${figures.tutorial.cpu.map((v) => v.toFixed(0)).join(" / ")} µs`);

  // The bare relay once, for scale.
  await load.call({ cmd: "openPairs", mode: "bare", senderUrl: b1.url, receiverUrl: b2.url, pairs: pairs.bare, socketsPerSender: SOCKETS_PER_SENDER });
  const bare = await load.call<RunStats>({ cmd: "run", rate: 0, window: 1, durationMs: RUN_MS });
  await load.call({ cmd: "closePairs" });
  row("bare relay saturated", `${bare.deliveredPerSec.toFixed(0)} delivered/s; product ÷ bare = ${(sp / bare.deliveredPerSec).toFixed(2)}`);

  // Store commands per send, at a low fixed rate.
  await load.call({ cmd: "openPairs", mode: "chat", senderUrl: g1.url, receiverUrl: g2.url, pairs: pairs.product, socketsPerSender: 1 });
  const [m1, m2, r0] = await Promise.all([scrape(g1.url, "mongo_commands_total"), scrape(g2.url, "mongo_commands_total"), commandStats(stack.redisPort)]);
  let counted: RunStats | undefined;
  const monitored = await monitorCommands(stack.redisPort, async () => {
    counted = await load!.call<RunStats>({ cmd: "run", rate: 100, window: 0, durationMs: 3_000 });
  });
  const [m1b, m2b, r1] = await Promise.all([scrape(g1.url, "mongo_commands_total"), scrape(g2.url, "mongo_commands_total"), commandStats(stack.redisPort)]);
  await load.call({ cmd: "closePairs" });
  const sends = counted!.acked;
  const mongoBy = new Map<string, number>();
  for (const [before, after] of [[m1, m1b], [m2, m2b]] as const) {
    for (const [command, value] of after.by) mongoBy.set(command, (mongoBy.get(command) ?? 0) + value - (before.by.get(command) ?? 0));
  }
  const mongoTotal = [...mongoBy.values()].reduce((a, b) => a + b, 0);
  row("MongoDB commands per send", `${(mongoTotal / sends).toFixed(2)} (${[...mongoBy].filter(([, n]) => n > 0).map(([c, n]) => `${c} ${(n / sends).toFixed(2)}`).join(", ")}; ${sends} sends)`);
  const trips = [...monitored].filter(([command]) => !NOT_SEND_PATH.has(command));
  row("Redis round trips per send (besides the adapter)", `${(trips.reduce((a, [, n]) => a + n, 0) / sends).toFixed(2)} (${trips.map(([c, n]) => `${c} ${(n / sends).toFixed(2)}`).join(", ") || "none"})`);
  const publishes = [...r1].find(([command]) => command === "spublish")?.[1] ?? 0;
  row("adapter SPUBLISH per send", ((publishes - (r0.get("spublish") ?? 0)) / sends).toFixed(2));

  // Catch-up sync: one user with SYNC_CONVERSATIONS conversations of 200 messages each, from cursor 0.
  console.error(`sync: storing ${SYNC_CONVERSATIONS * SYNC_PER_CONVERSATION} messages…`);
  const reader = users[0]!;
  const syncConversations: string[] = [];
  for (let c = 0; c < SYNC_CONVERSATIONS; c++) {
    // users[2..]: none of them shares a benchmark pair with users[0], so these conversations are new.
    const peer = users[2 + c];
    if (!peer) break;
    const conversation = await services.chat.conversations.openDirect(peer, reader.userId);
    syncConversations.push(conversation.id);
    await Promise.all(
      Array.from({ length: SYNC_PER_CONVERSATION }, (_, m) =>
        services.chat.messages.send(
          peer,
          sendMessageSchema.parse({ conversationId: conversation.id, clientMessageId: `sync-${c}-${m}`, content: { type: "text", text: `catch-up message ${m} of conversation ${c}, long enough to look like a real one` } }),
        ),
      ),
    );
  }
  const sync = await load.call<SyncStats>({ cmd: "sync", url: g2.url, token: reader.accessToken, conversationIds: syncConversations, limit: 500 });
  row("catch-up sync", `${(sync.messages / sync.seconds).toFixed(0)} msgs/s (${sync.messages} messages, ${syncConversations.length} conversations, ${sync.answers} answers, ${sync.seconds.toFixed(2)} s); largest ack ${kb(sync.maxAckBytes)}`);

  // Reconnect storms on fresh (cold) replicas, then after a drain, all at once. Last: a storm's
  // thousands of subscriptions and presence transitions must not disturb the relay rounds.
  const [g3, t3] = await Promise.all([stack.spawn("gateway/main.ts", "GATEWAY_PORT"), stack.spawn("scripts/bench/tutorial-chat.ts", "PORT", tutorialEnv)]);
  load.kill();
  load = Load.fork();
  for (const [name, proc, hasMetrics] of [["product", g3, true], ["tutorial", t3, false]] as const) {
    for (const [phase, concurrency] of [["cold, 500 in flight", 500], ["after drain, all at once", STORM_USERS]] as const) {
      console.error(`storm: ${STORM_USERS} users on one ${name} replica, ${phase}…`);
      const before = await listenOverflows();
      const storm = await load.call<{ connected: number; failures: Record<string, number>; seconds: number }>({ cmd: "idle", url: proc.url, tokens: stormTokens, count: STORM_USERS, concurrency });
      const overflows = (await listenOverflows()) - before;
      const failed = Object.keys(storm.failures).length ? `; refused ${JSON.stringify(storm.failures)}` : "";
      row(`storm ${STORM_USERS}, ${name}, ${phase}`, `${(storm.connected / storm.seconds).toFixed(0)} handshakes/s (${storm.seconds.toFixed(2)} s); listen overflows ${overflows}${failed}`);
      await load.call({ cmd: "closeIdle" });
      if (hasMetrics) await until(async () => (await socketsOn(proc)) === 0, 120_000, "storm sockets to close");
      else await sleep(3_000);
    }
  }
  load.kill();
  load = Load.fork();

  // CPU profile of a sending gateway at 1,000 msg/s.
  if (PROFILE) {
    const dir = await mkdtemp(path.join(os.tmpdir(), "cw-bench-prof-"));
    const profiled: Proc = await stack.spawn("gateway/main.ts", "GATEWAY_PORT", {}, ["--cpu-prof", `--cpu-prof-dir=${dir}`]);
    await load.call({ cmd: "openPairs", mode: "chat", senderUrl: profiled.url, receiverUrl: g2.url, pairs: pairs.product, socketsPerSender: 1 });
    await load.call<RunStats>({ cmd: "run", rate: 200, window: 0, durationMs: 2_000 });
    const from = process.hrtime.bigint();
    await load.call<RunStats>({ cmd: "run", rate: 1000, window: 0, durationMs: RUN_MS });
    const to = process.hrtime.bigint();
    await load.call({ cmd: "closePairs" });
    const exited = new Promise((resolve) => profiled.child.once("exit", resolve));
    profiled.child.kill("SIGTERM");
    await exited;
    const file = (await readdir(dir)).find((f) => f.endsWith(".cpuprofile"));
    if (file) {
      if (process.env.BENCH_PROFILE_KEEP) await copyFile(path.join(dir, file), process.env.BENCH_PROFILE_KEEP);
      const { busyMs, split, top } = await profileSplit(path.join(dir, file), from, to);
      row("profile of the sending gateway at 1,000 msg/s", `${busyMs.toFixed(0)} ms busy in ${(Number(to - from) / 1e6).toFixed(0)} ms`);
      for (const [name, percent] of split.filter(([, p]) => p >= 0.5)) row(`  ${name}`, `${percent.toFixed(1)}%`);
      for (const [name, percent] of top) console.error(`    self ${percent.toFixed(1)}%  ${name}`);
    }
    await rm(dir, { recursive: true, force: true });
  }
  await platform.close();
} finally {
  load?.kill();
  await stack.close();
}

const width = Math.max(...rows.map((r) => r[0]!.length));
console.log(`\nGateway benchmark (${ROUNDS} rounds, ${PAIRS} pairs × ${SOCKETS_PER_SENDER} sending sockets, ${RUN_MS / 1000} s per run, MongoDB: ${process.env.MONGO_URL ? "MONGO_URL" : "embedded server"}${QUICK ? ", quick" : ""})\n`);
for (const [label, value] of rows) console.log(`${label!.padEnd(width)}  ${value}`);
