/**
 * npm run bench:feed — the home feed and trends against a private redis-server and
 * MongoDB (MONGO_URL, else the embedded server in its own process, as a real MongoDB
 * would be: in this process its work would stall the clocks and the services alike),
 * with the real services and a real worker host. Each figure comes with a baseline
 * measured in the same run (the machine is shared and noisy):
 *  1. fan-out rate: timeline inserts/s through TimelineRepository (the scripted insert:
 *     built timelines only, bounded) vs raw pipelined ZADDs of the same entries into the
 *     same keys, both as the workers run them (batches of FEED_FANOUT_BATCH, as many in
 *     flight as the feed queue's concurrency, members built before the clock starts),
 *     plus Redis's own time per insert (INFO commandstats);
 *  2. a post by an author with 10,000 followers → the last follower's timeline (p50/p95
 *     over 20 posts after one warm-up post), through the outbox, events.deliver, the planner
 *     and the batch jobs, until the post's last batch job completed (every timeline then
 *     checked), vs the raw ZADD time for 10,000 keys;
 *  3. home feed page of 40 (p50/p99, MongoDB commands per page) vs the bare store reads
 *     of a page (ZREVRANGE + find by ids);
 *  4. trending refresh over 10,000 active hashtags vs the bare pipelined reads it needs.
 * BENCH_FEED_PARTS=fanout,latency,page,trends picks parts; BENCH_FEED_POSTS sets the posts
 * of part 2; BENCH_FEED_PROFILE=<file> writes a CPU profile of this process over the parts run;
 * BENCH_FEED_MONGO=inprocess runs the embedded server inside this process (the old shape).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { QueueEvents } from "bullmq";
import { ObjectId } from "mongodb";
import { loadConfig } from "../../shared/config/config.js";
import { allCollections } from "../../shared/db/collections.js";
import { applyCollectionSpecs } from "../../shared/db/mongo-collections.js";
import { TimelineRepository, timelineKey } from "../../shared/feed/timeline.repository.js";
import { TrendCounterRepository } from "../../shared/hashtags/trend-counter.repository.js";
import { utcDay } from "../../shared/hashtags/trend.service.js";
import { createLogger } from "../../shared/logging/logger.js";
import { bullPrefix, QUEUE_CONCURRENCY } from "../../shared/queues/jobs.js";
import { createPlatform } from "../../shared/runtime/platform.js";
import { composeModules } from "../../shared/runtime/services.js";
import { startWorkers } from "../../workers/worker-host.js";
import { freePort } from "../../test/helpers/ports.js";
import { TestRedisServer } from "../../test/helpers/redis-server.js";

const FOLLOWERS = 10_000;
const POSTS = Number(process.env.BENCH_FEED_POSTS ?? 20);
const TAGS = 10_000;
const PARTS = new Set((process.env.BENCH_FEED_PARTS ?? "fanout,latency,page,trends").split(","));

const pct = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
const ms = (n: number): string => `${n.toFixed(1)} ms`;
const perSecond = (n: number): string => Math.round(n).toLocaleString("en");

/** The embedded MongoDB-compatible server in its own process; resolves its URL. */
async function embeddedMongoProcess(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/mongo-embedded.ts", "--port", String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().startsWith("mongodb://")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`embedded MongoDB exited with ${code}`)));
  });
  return { url: `mongodb://127.0.0.1:${port}`, child };
}

const redisServer = await TestRedisServer.start();
let stopMongo: (() => Promise<void>) | undefined;
let mongoUrl = process.env.MONGO_URL ?? "";
if (!mongoUrl && process.env.BENCH_FEED_MONGO === "inprocess") {
  const { startEmbeddedMongo } = await import("../../shared/embedded-mongo/index.js");
  const embedded = await startEmbeddedMongo({ port: 0, log: () => undefined });
  mongoUrl = embedded.uri;
  stopMongo = embedded.stop;
} else if (!mongoUrl) {
  const embedded = await embeddedMongoProcess();
  mongoUrl = embedded.url;
  stopMongo = async () => {
    const exited = new Promise((resolve) => embedded.child.once("exit", resolve));
    embedded.child.kill("SIGTERM");
    await exited;
  };
}
const runId = Date.now().toString(36);
Object.assign(process.env, {
  NODE_ENV: "development",
  LOG_LEVEL: "error",
  REDIS_URL: `redis://127.0.0.1:${redisServer.port}`,
  REDIS_PREFIX: `cwbf${runId}:`,
  MONGO_DB: `cw_bench_feed_${runId}`,
  WORKER_SCHEDULES: "false",
  SLOW_QUERY_MS: "100000",
});
const config = loadConfig();
const logger = createLogger(config);
const platform = await createPlatform(config, logger, mongoUrl);
await applyCollectionSpecs(platform.mongo.db, allCollections, logger);
const composition = composeModules(platform);
const services = composition.services;
const workers = await startWorkers(platform, composition.jobs, 0, { schedules: [] });
const redis = platform.redis;
const timelines = new TimelineRepository(redis, { maxLength: config.FEED_TIMELINE_MAX, ttlSeconds: config.FEED_TIMELINE_TTL_SECONDS });

/**
 * Redis's own time (µs) in the named commands since the last reset, from INFO commandstats
 * (name only the top-level ones: commands a script runs are counted inside its EVALSHA and again
 * under their own names).
 */
async function redisCommandMicros(commands: readonly string[]): Promise<number> {
  const stats = await redis.info("commandstats");
  return [...stats.matchAll(/^cmdstat_([a-z|]+):calls=\d+,usec=(\d+)/gm)].filter((m) => commands.includes(m[1] as string)).reduce((sum, m) => sum + Number(m[2]), 0);
}

/** Runs `work` over the batches with `inFlight` of them at a time (as a worker with that concurrency does). */
async function inParallel(batches: readonly string[][], inFlight: number, work: (batch: string[]) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < batches.length) await work(batches[next++] as string[]);
    }),
  );
}

try {
  const author = await services.profiles.ensureProfile({ userId: randomUUID(), displayName: "Big author" });
  const followerIds = Array.from({ length: FOLLOWERS }, () => randomUUID());
  // Followers as stored edges (the fan-out reads only the edges), each with a built timeline.
  await platform.mongo.db.collection("follows").insertMany(
    followerIds.map((followerId) => ({ followerId, followeeId: author.userId, status: "accepted", createdAt: new Date(), acceptedAt: new Date() })),
  );
  for (let i = 0; i < FOLLOWERS; i += 1000) await Promise.all(followerIds.slice(i, i + 1000).map((id) => timelines.replace(id, [])));

  const profiler = process.env.BENCH_FEED_PROFILE ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post("Profiler.enable");
    await profiler.post("Profiler.start");
  }

  if (PARTS.has("fanout")) {
    const rounds = 5;
    const inFlight = QUEUE_CONCURRENCY.feed;
    const batches: string[][] = [];
    for (let i = 0; i < FOLLOWERS; i += config.FEED_FANOUT_BATCH) batches.push(followerIds.slice(i, i + config.FEED_FANOUT_BATCH));
    const entries = Array.from({ length: 2 * rounds }, (_, r) => ({ postId: new ObjectId().toHexString(), authorId: author.userId, at: Date.now() + r }));
    const keys = followerIds.map(timelineKey);
    const keyOf = new Map<string, string>(followerIds.map((id, i) => [id, keys[i] as string]));
    const measure = async (commands: string[], insert: (batch: string[], entry: (typeof entries)[number]) => Promise<unknown>, from: number) => {
      await redis.config("RESETSTAT");
      const start = performance.now();
      for (let r = 0; r < rounds; r++) await inParallel(batches, inFlight, (batch) => insert(batch, entries[from + r] as (typeof entries)[number]));
      const seconds = (performance.now() - start) / 1000;
      return { rate: (rounds * FOLLOWERS) / seconds, micros: (await redisCommandMicros(commands)) / (rounds * FOLLOWERS) };
    };
    const raw = await measure(["zadd"], async (batch, entry) => {
      const member = `${entry.postId}:${entry.authorId}`;
      const pipeline = redis.pipeline();
      for (const id of batch) pipeline.zadd(keyOf.get(id) as string, entry.at, member);
      await pipeline.exec();
    }, 0);
    const repo = await measure(["evalsha", "eval"], (batch, entry) => timelines.insertMany(batch, entry), rounds);
    console.log(
      `fan-out rate: ${perSecond(repo.rate)} timeline inserts/s, Redis ${repo.micros.toFixed(1)} µs/insert ` +
        `(baseline raw ZADD pipeline ${perSecond(raw.rate)}/s, ${raw.micros.toFixed(1)} µs/insert; ratio ${(repo.rate / raw.rate).toFixed(2)}; ` +
        `${inFlight} batches of ${config.FEED_FANOUT_BATCH} in flight; target ≥ 40,000)`,
    );
  }

  if (PARTS.has("latency")) {
    // The end of a post's fan-out is the completion of its last batch job (after its inserts: a slight
    // over-estimate), heard on the queue's event stream rather than by polling timelines, which would
    // load Redis and this process; every follower's timeline is then checked.
    const eventsConnection = platform.bullRedis.duplicate();
    const queueEvents = new QueueEvents("feed", { connection: eventsConnection, prefix: bullPrefix(config.REDIS_PREFIX) });
    await queueEvents.waitUntilReady();
    const batchesDone = new Map<string, number>();
    const waiters = new Map<string, () => void>();
    const expected = Math.ceil(FOLLOWERS / config.FEED_FANOUT_BATCH);
    queueEvents.on("completed", ({ jobId }) => {
      const postId = /^fanout-([0-9a-f]{24})-\d+$/.exec(jobId)?.[1];
      if (!postId) return;
      batchesDone.set(postId, (batchesDone.get(postId) ?? 0) + 1);
      if (batchesDone.get(postId) === expected) waiters.get(postId)?.();
    });
    const fanOut = async (n: number): Promise<number> => {
      const start = performance.now();
      const post = await services.posts.posts.create({ userId: author.userId, sessionId: randomUUID(), roles: ["user"] }, { text: `post ${n}`, media: [], visibility: "public" });
      if (batchesDone.get(post.id) !== expected) await new Promise<void>((resolve) => waiters.set(post.id, resolve));
      const elapsed = performance.now() - start;
      const pipeline = redis.pipeline();
      for (const id of followerIds) pipeline.zscore(timelineKey(id), `${post.id}:${author.userId}`);
      const missing = ((await pipeline.exec()) ?? []).filter(([, score]) => score === null).length;
      if (missing > 0) throw new Error(`${missing} followers lack post ${n}`);
      return elapsed;
    };
    await fanOut(-1); // warm-up (first script loads, first jobs of each worker), not counted
    const latencies: number[] = [];
    for (let n = 0; n < POSTS; n++) latencies.push(await fanOut(n));
    await queueEvents.close();
    eventsConnection.disconnect();
    const t = performance.now();
    const pipeline = redis.pipeline();
    for (const id of followerIds) pipeline.zadd(`bench:{u:${id}}`, Date.now(), "x");
    await pipeline.exec();
    const rawAll = performance.now() - t;
    console.log(
      `post → last of ${FOLLOWERS.toLocaleString("en")} followers: p50 ${ms(pct(latencies, 50))}, p95 ${ms(pct(latencies, 95))} over ${POSTS} posts ` +
        `(${perSecond(FOLLOWERS / (pct(latencies, 50) / 1000))} inserts/s end to end at p50; baseline raw ZADD to 10,000 keys ${ms(rawAll)}; target p95 ≤ 2 s)`,
    );
  }

  if (PARTS.has("page")) {
    const reader = followerIds[0] as string;
    const authors = await Promise.all(Array.from({ length: 20 }, () => services.profiles.ensureProfile({ userId: randomUUID(), displayName: "Author" })));
    for (const a of authors) {
      await platform.mongo.db.collection("follows").insertOne({ followerId: reader, followeeId: a.userId, status: "accepted", createdAt: new Date(), acceptedAt: new Date() });
      for (let k = 0; k < 10; k++) await services.posts.posts.create({ userId: a.userId, sessionId: randomUUID(), roles: ["user"] }, { text: `by ${a.username} ${k} #bench`, media: [], visibility: "public" });
    }
    await services.posts.feed.rebuild(reader);
    let commands = 0;
    platform.mongo.client.on("commandStarted", () => void (commands += 1));
    const pageTimes: number[] = [];
    const baseTimes: number[] = [];
    let pageCommands = 0;
    for (let i = 0; i < 300; i++) {
      let s = performance.now();
      const before = commands;
      const page = await services.posts.feed.home(reader, { limit: 40 });
      pageTimes.push(performance.now() - s);
      pageCommands += commands - before;
      if (page.items.length !== 40) throw new Error(`a page of ${page.items.length}`);
      s = performance.now();
      const raw = await redis.zrevrangebyscore(timelineKey(reader), "+inf", "(0", "LIMIT", 0, 40);
      await platform.mongo.db.collection("posts").find({ _id: { $in: raw.map((m) => new ObjectId(m.slice(0, 24))) } }).toArray();
      baseTimes.push(performance.now() - s);
    }
    console.log(
      `home feed page of 40: p50 ${ms(pct(pageTimes, 50))}, p99 ${ms(pct(pageTimes, 99))}, ${(pageCommands / 300).toFixed(1)} MongoDB commands/page ` +
        `(baseline bare ZREVRANGE + find by ids p50 ${ms(pct(baseTimes, 50))}, p99 ${ms(pct(baseTimes, 99))}; target p99 ≤ 30 ms)`,
    );
  }

  if (PARTS.has("trends")) {
    // 10,000 active hashtags: 3-5 accounts each today, 1-3 yesterday.
    const counters = new TrendCounterRepository(redis, 3 * 86_400);
    const now = new Date();
    const today = utcDay(now);
    const yesterday = utcDay(now.getTime() - 86_400_000);
    const writes: Array<Promise<number>> = [];
    for (let i = 0; i < TAGS; i++) {
      const tag = `tag${i}`;
      for (let k = 0; k < 3 + (i % 3); k++) writes.push(counters.count(today, [tag], new ObjectId().toHexString(), followerIds[(i + k) % FOLLOWERS] as string));
      for (let k = 0; k < 1 + (i % 3); k++) writes.push(counters.count(yesterday, [tag], new ObjectId().toHexString(), followerIds[(i + k + 7) % FOLLOWERS] as string));
      if (writes.length > 2000) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    let t = performance.now();
    const refreshed = await services.posts.trends.refresh(now);
    const refreshMs = performance.now() - t;
    t = performance.now();
    const tags = await counters.activeTags(today);
    await counters.dayCounts(today, tags);
    await counters.dayCounts(yesterday, tags);
    const bareMs = performance.now() - t;
    console.log(`trending refresh over ${refreshed.tags.toLocaleString("en")} active hashtags: ${ms(refreshMs)}, ${refreshed.ranked} ranked (baseline bare reads ${ms(bareMs)}; target ≤ 5 s)`);
  }
  if (profiler) {
    const { profile } = await profiler.post("Profiler.stop");
    writeFileSync(process.env.BENCH_FEED_PROFILE as string, JSON.stringify(profile));
  }
} finally {
  await workers.close(2_000);
  await services.events.flush();
  await platform.mongo.db.dropDatabase().catch(() => undefined);
  await platform.close();
  await stopMongo?.();
  await redisServer.stop();
}
