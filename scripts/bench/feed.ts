/**
 * npm run bench:feed — the home feed and trends, in one process against a private
 * redis-server and MongoDB (MONGO_URL or the embedded server), with the real
 * services and a real worker host. Each figure comes with a baseline measured in
 * the same run (the machine is noisy):
 *  1. fan-out rate: timeline inserts/s through TimelineRepository (the Lua insert,
 *     bounded, TTL) vs a raw pipelined ZADD of the same entries;
 *  2. a post by an author with 10,000 followers → the last follower's timeline
 *     (p50/p95 over several posts), through the outbox, events.deliver, the planner
 *     and the batch jobs, vs the raw ZADD time for 10,000 keys;
 *  3. home feed page of 40 (p50/p99) vs the bare store reads of a page (ZREVRANGE + find by ids);
 *  4. trending refresh over 10,000 active hashtags vs the bare pipelined reads it needs.
 */
import { randomUUID } from "node:crypto";
import { ObjectId } from "mongodb";
import { loadConfig } from "../../shared/config/config.js";
import { allCollections } from "../../shared/db/collections.js";
import { applyCollectionSpecs } from "../../shared/db/mongo-collections.js";
import { TimelineRepository, timelineKey } from "../../shared/feed/timeline.repository.js";
import { TrendCounterRepository } from "../../shared/hashtags/trend-counter.repository.js";
import { utcDay } from "../../shared/hashtags/trend.service.js";
import { createLogger } from "../../shared/logging/logger.js";
import { createPlatform } from "../../shared/runtime/platform.js";
import { composeModules } from "../../shared/runtime/services.js";
import { startWorkers } from "../../workers/worker-host.js";
import { TestRedisServer } from "../../test/helpers/redis-server.js";

const FOLLOWERS = 10_000;
const POSTS = Number(process.env.BENCH_FEED_POSTS ?? 8);
const TAGS = 10_000;

const pct = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
const ms = (n: number): string => `${n.toFixed(1)} ms`;

const redisServer = await TestRedisServer.start();
let stopMongo: (() => Promise<void>) | undefined;
let mongoUrl = process.env.MONGO_URL ?? "";
if (!mongoUrl) {
  const { startEmbeddedMongo } = await import("../../shared/embedded-mongo/index.js");
  const embedded = await startEmbeddedMongo({ port: 0, log: () => undefined });
  mongoUrl = embedded.uri;
  stopMongo = embedded.stop;
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

try {
  const author = await services.profiles.ensureProfile({ userId: randomUUID(), displayName: "Big author" });
  const followerIds = Array.from({ length: FOLLOWERS }, () => randomUUID());
  // Followers as stored edges (the fan-out reads only the edges), each with a built timeline.
  await platform.mongo.db.collection("follows").insertMany(
    followerIds.map((followerId) => ({ followerId, followeeId: author.userId, status: "accepted", createdAt: new Date(), acceptedAt: new Date() })),
  );
  for (let i = 0; i < FOLLOWERS; i += 1000) await Promise.all(followerIds.slice(i, i + 1000).map((id) => timelines.replace(id, [])));

  // 1. Fan-out rate.
  const rounds = 5;
  let t = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < FOLLOWERS; i += 1000) {
      const pipeline = redis.pipeline();
      for (const id of followerIds.slice(i, i + 1000)) pipeline.zadd(`bench:{u:${id}}`, Date.now(), `${new ObjectId().toHexString()}:${author.userId}`);
      await pipeline.exec();
    }
  }
  const rawRate = (rounds * FOLLOWERS) / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let r = 0; r < rounds; r++) {
    const entry = { postId: new ObjectId().toHexString(), authorId: author.userId, at: Date.now() };
    for (let i = 0; i < FOLLOWERS; i += 1000) await timelines.insertMany(followerIds.slice(i, i + 1000), entry);
  }
  const fanRate = (rounds * FOLLOWERS) / ((performance.now() - t) / 1000);
  console.log(`fan-out rate: ${Math.round(fanRate).toLocaleString("en")} timeline inserts/s (baseline raw ZADD pipeline ${Math.round(rawRate).toLocaleString("en")}/s, ratio ${(fanRate / rawRate).toFixed(2)}; target ≥ 40,000)`);

  // 2. Post → the last of 10,000 followers' timelines.
  const latencies: number[] = [];
  for (let n = 0; n < POSTS; n++) {
    const start = performance.now();
    const post = await services.posts.posts.create({ userId: author.userId, sessionId: randomUUID(), roles: ["user"] }, { text: `post ${n}`, media: [], visibility: "public" });
    const member = `${post.id}:${author.userId}`;
    // Poll a sample of 100 followers (polling all 10,000 would load Redis more than the fan-out), then confirm all.
    const sample = followerIds.filter((_, i) => i % 100 === 0 || i === FOLLOWERS - 1);
    let missing = sample;
    let end = 0;
    for (;;) {
      const pipeline = redis.pipeline();
      for (const id of missing) pipeline.zscore(timelineKey(id), member);
      const results = (await pipeline.exec()) ?? [];
      missing = missing.filter((_, i) => results[i]?.[1] === null);
      if (missing.length > 0) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      end = end || performance.now();
      if (missing === followerIds || sample.length === 0) break;
      missing = followerIds;
      sample.length = 0;
    }
    latencies.push(end - start);
  }
  t = performance.now();
  {
    const pipeline = redis.pipeline();
    for (const id of followerIds) pipeline.zadd(`bench:{u:${id}}`, Date.now(), "x");
    await pipeline.exec();
  }
  const rawAll = performance.now() - t;
  console.log(`post → last of ${FOLLOWERS.toLocaleString("en")} followers: p50 ${ms(pct(latencies, 50))}, p95 ${ms(pct(latencies, 95))} over ${POSTS} posts (baseline raw ZADD to 10,000 keys ${ms(rawAll)}; target p95 ≤ 2 s)`);

  // 3. Home feed page of 40.
  const reader = followerIds[0] as string;
  const authors = await Promise.all(Array.from({ length: 20 }, () => services.profiles.ensureProfile({ userId: randomUUID(), displayName: "Author" })));
  for (const a of authors) {
    await platform.mongo.db.collection("follows").insertOne({ followerId: reader, followeeId: a.userId, status: "accepted", createdAt: new Date(), acceptedAt: new Date() });
    for (let k = 0; k < 10; k++) await services.posts.posts.create({ userId: a.userId, sessionId: randomUUID(), roles: ["user"] }, { text: `by ${a.username} ${k} #bench`, media: [], visibility: "public" });
  }
  await services.posts.feed.rebuild(reader);
  const pageTimes: number[] = [];
  const baseTimes: number[] = [];
  for (let i = 0; i < 300; i++) {
    let s = performance.now();
    const page = await services.posts.feed.home(reader, { limit: 40 });
    pageTimes.push(performance.now() - s);
    if (page.items.length !== 40) throw new Error(`a page of ${page.items.length}`);
    s = performance.now();
    const raw = await redis.zrevrangebyscore(timelineKey(reader), "+inf", "(0", "LIMIT", 0, 40);
    await platform.mongo.db.collection("posts").find({ _id: { $in: raw.map((m) => new ObjectId(m.slice(0, 24))) } }).toArray();
    baseTimes.push(performance.now() - s);
  }
  console.log(`home feed page of 40: p50 ${ms(pct(pageTimes, 50))}, p99 ${ms(pct(pageTimes, 99))} (baseline bare ZREVRANGE + find by ids p50 ${ms(pct(baseTimes, 50))}, p99 ${ms(pct(baseTimes, 99))}; target p99 ≤ 30 ms)`);

  // 4. Trending refresh over 10,000 active hashtags (3-5 accounts each today, 1-3 yesterday).
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
  t = performance.now();
  const refreshed = await services.posts.trends.refresh(now);
  const refreshMs = performance.now() - t;
  t = performance.now();
  const tags = await counters.activeTags(today);
  await counters.dayCounts(today, tags);
  await counters.dayCounts(yesterday, tags);
  const bareMs = performance.now() - t;
  console.log(`trending refresh over ${refreshed.tags.toLocaleString("en")} active hashtags: ${ms(refreshMs)}, ${refreshed.ranked} ranked (baseline bare reads ${ms(bareMs)}; target ≤ 5 s)`);
} finally {
  await workers.close(2_000);
  await services.events.flush();
  await platform.mongo.db.dropDatabase().catch(() => undefined);
  await platform.close();
  await stopMongo?.();
  await redisServer.stop();
}
