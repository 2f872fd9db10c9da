/**
 * `npm run bench:notifications`: a system announcement to N users (100,000 by
 * default, BENCH_RECIPIENTS), timed until every notification is stored, with
 * the store round trips each batch of 1,000 costs; then event → socket push
 * latency for a connected recipient (a follow through the durable event, the
 * worker and the gateway), against a bare publish to the same socket measured
 * in the same run.
 */
import { createLogger } from "../../shared/logging/logger.js";
import { metrics } from "../../shared/metrics/metrics.js";
import { createPlatform } from "../../shared/runtime/platform.js";
import { composeModules } from "../../shared/runtime/services.js";
import { startWorkers } from "../../workers/worker-host.js";
import { connectSocket, nextEvent } from "../../test/helpers/sockets.js";
import { createTestUser } from "../../test/helpers/users.js";
import { BenchStack, until } from "./gateway-stack.js";

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 100_000);
const SAMPLES = Number(process.env.BENCH_PUSH_SAMPLES ?? 60);

const pct = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const ms = (n: number): string => `${n.toFixed(1)} ms`;

async function mongoCommandTotal(): Promise<number> {
  const metric = await metrics.mongoCommands.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

const stack = new BenchStack();
try {
  await stack.start({ ARGON2_MEMORY_KIB: "8192", ARGON2_TIME_COST: "1" });
  const logger = createLogger({ ...stack.config, LOG_LEVEL: "error" });
  const platform = await createPlatform(stack.config, logger, stack.mongoUrl);
  const { services, jobs } = composeModules(platform);

  console.log(`seeding ${RECIPIENTS} active accounts...`);
  await platform.pg.query(
    `INSERT INTO users (email, full_name, password_hash)
     SELECT 'bench-' || g || '@example.test', 'Bench ' || g, 'x' FROM generate_series(1, $1::int) g`,
    [RECIPIENTS],
  );
  const admin = await createTestUser(services, { roles: ["admin"] });
  const audience = RECIPIENTS + 1;

  // Baseline: the same documents written directly, 1,000 per insertMany.
  const baselineCollection = platform.mongo.db.collection<{ _id: string }>("bench_baseline");
  const baselineStart = performance.now();
  for (let start = 0; start < audience; start += 1000) {
    const docs = Array.from({ length: Math.min(1000, audience - start) }, (_, i) => ({ _id: `b${start + i}`, recipientId: `r${start + i}`, type: "system", count: 1, read: false, createdAt: new Date() }));
    await baselineCollection.insertMany(docs, { ordered: false });
  }
  const baselineMs = performance.now() - baselineStart;

  // pg round trips are counted by wrapping the pool's query for the announcement only.
  let pgQueries = 0;
  const query = platform.pg.query.bind(platform.pg);
  (platform.pg as unknown as { query: typeof query }).query = ((...args: Parameters<typeof query>) => {
    pgQueries++;
    return query(...args);
  }) as typeof query;

  const workers = await startWorkers(platform, jobs, 0);
  const mongoBefore = await mongoCommandTotal();
  const started = performance.now();
  const { announcementId } = await services.notifications.announcements.announce({ userId: admin.userId }, { title: "Maintenance tonight", body: "The service restarts at 02:00 UTC." });
  // The request's own admin check is once per announcement, not per batch.
  const pgInRequest = pgQueries;
  const notifications = platform.mongo.db.collection("notifications");
  let polls = 0;
  await until(async () => (polls++, (await notifications.estimatedDocumentCount()) >= audience), 600_000, "every notification stored");
  const storedMs = performance.now() - started;
  // The polling above issues count commands too; they are not part of the fan-out.
  const mongoCommands = (await mongoCommandTotal()) - mongoBefore - polls;
  const pgDuringFanOut = pgQueries - pgInRequest;
  const batches = Math.ceil(audience / 1000);
  console.log(`announcement ${announcementId}`);

  // Event → socket push latency: a follow of a connected user, through outbox, worker and gateway.
  const gateway = await stack.spawn("gateway/main.ts", "GATEWAY_PORT");
  const star = await createTestUser(services);
  const socket = await connectSocket(gateway.url, star.accessToken);
  const latencies: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const fan = await createTestUser(services);
    await services.profiles.ensureProfile({ userId: fan.userId, displayName: fan.fullName });
    const pushed = nextEvent(socket, "notification:new", 10_000);
    const t0 = performance.now();
    await services.follows.follow({ userId: fan.userId, sessionId: fan.sessionId, roles: ["user"] }, star.userId);
    await pushed;
    latencies.push(performance.now() - t0);
    const direct = nextEvent(socket, "system:notice", 10_000);
    const t1 = performance.now();
    platform.realtime.toUsers([star.userId], "system:notice", { message: "bench" });
    await direct;
    bare.push(performance.now() - t1);
  }
  socket.close();
  await workers.close(2_000);
  await services.events.flush();

  console.log("");
  console.log(`| Figure | Result | Same-run baseline | Target |`);
  console.log(`|---|---|---|---|`);
  console.log(`| Announcement to ${audience.toLocaleString("en")} users, until every notification is stored | ${(storedMs / 1000).toFixed(2)} s (${Math.round(audience / (storedMs / 1000)).toLocaleString("en")}/s) | direct insertMany of the same count ${(baselineMs / 1000).toFixed(2)} s (ratio ${(storedMs / baselineMs).toFixed(2)}) | ≤ 10 s |`);
  console.log(`| Store round trips per 1,000 recipients | ${((pgDuringFanOut + mongoCommands) / batches).toFixed(2)} (${(pgDuringFanOut / batches).toFixed(2)} PostgreSQL page + ${(mongoCommands / batches).toFixed(2)} MongoDB), besides 1 BullMQ add per batch and ${pgInRequest} PostgreSQL admin check in the request | — | ≤ 3 |`);
  console.log(`| Event → socket push (follow → notification:new), p50 / p99 | ${ms(pct(latencies, 50))} / ${ms(pct(latencies, 99))} | bare publish ${ms(pct(bare, 50))} / ${ms(pct(bare, 99))} | p99 ≤ 100 ms |`);
  await platform.close();
} finally {
  await stack.close();
}
process.exit(0);
