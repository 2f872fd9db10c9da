import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BlockCacheRepository } from "../../shared/access/block-cache.repository.js";
import { RevocationRepository } from "../../shared/auth/revocation.repository.js";
import { UnreadRepository } from "../../shared/chat/unread.repository.js";
import { keySlot, registeredScripts } from "../../shared/db/redis-scripts.js";
import { TrendCounterRepository } from "../../shared/hashtags/trend-counter.repository.js";
import { RedisTusLocker } from "../../shared/media/tus-redis-locker.js";
import { applySchedules } from "../../workers/schedules.js";
import { cli } from "../helpers/redis-cluster.js";
import { startClusterRun, type ClusterRun } from "./cluster-fixture.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SOURCE_DIRS = ["shared", "workers", "gateway", "api"];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(ROOT, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)))
    .filter((file) => !file.startsWith(path.join("shared", "embedded-mongo")));
}

/**
 * The MULTI/pipeline blocks of the code, each exercised on the cluster below.
 * A file that starts using MULTI or a pipeline fails the inventory test until
 * it is listed here with a check.
 */
const MULTI_USERS: Record<string, (run: ClusterRun) => Promise<void>> = {
  "shared/access/block-cache.repository.ts": async ({ platform }) => {
    const cache = new BlockCacheRepository(platform.redis);
    await cache.fill("u1", await cache.generation("u1"), ["u2"]);
    assert.deepEqual(await cache.contains("u1", ["u2", "u3"]), [true, false]);
    await cache.invalidate(["u1", "u2", "u3", "u4", "u5"]);
  },
  "shared/auth/revocation.repository.ts": async ({ platform }) => {
    const revocations = new RevocationRepository(platform.redis, 60, 60);
    await revocations.markAlive("s1", "u1");
    await revocations.markSessionsRevoked("u1", ["s1", "s2", "s3", "s4"]);
    assert.equal(await revocations.lookup("s1", "u1"), "revoked");
  },
  "shared/hashtags/trend-counter.repository.ts": async ({ platform }) => {
    const trends = new TrendCounterRepository(platform.redis, 60);
    await trends.uncount("2026-01-01", ["a", "b"], "p1", "u1");
    await trends.takeDirty();
    await trends.saveRanking(new Map([["a", { score: 1, at: 1 }]]), new Map([["a", 1]]));
    assert.equal((await trends.dayCounts("2026-01-01", ["a", "b", "c", "d"])).size, 0);
  },
  "shared/chat/unread.repository.ts": async ({ platform }) => {
    const unread = new UnreadRepository(platform.redis);
    await unread.set("u1", "c1", 2);
    await unread.incrementExisting(["u1", "u2", "u3"], "c1");
    await unread.removeMany(["u1", "u2", "u3"], "c1");
    assert.deepEqual(await unread.get("u1", ["c1", "c2"]), [null, null]);
  },
};

const isCrossSlot = (error: unknown): boolean => /CROSSSLOT|same slot|slots allocation group/i.test((error as Error)?.message ?? "");

describe("CROSSSLOT-free: every Lua script and MULTI of the code runs on a Redis Cluster", function () {
  this.timeout(120_000);
  let run: ClusterRun;
  let files: string[];

  before(async () => {
    // The platform builds every service, so every repository has declared its scripts.
    run = await startClusterRun();
    await applySchedules(run.platform.jobs, run.platform.redis, [], run.platform.logger);
    // The tus locker is built by the API's media routes, not the platform: declare its scripts here.
    new RedisTusLocker(run.platform.redis, run.platform.logger);
    files = (await Promise.all(SOURCE_DIRS.map(sourceFiles))).flat();
  });
  after(() => run?.close());

  it("no script bypasses the registry (no defineCommand, EVAL or EVALSHA outside shared/db/redis-scripts.ts)", async () => {
    const offenders: string[] = [];
    for (const file of files) {
      if (file === path.join("shared", "db", "redis-scripts.ts")) continue;
      const text = await readFile(path.join(ROOT, file), "utf8");
      if (/\.defineCommand\(|\.eval(sha)?\(|\bscripts:\s*\{/.test(text)) offenders.push(file);
    }
    assert.deepEqual(offenders, []);
  });

  it("every script named in the code is registered once the platform is built", async () => {
    const declared = new Set<string>();
    for (const file of files) {
      const text = await readFile(path.join(ROOT, file), "utf8");
      if (!text.includes("defineScripts(")) continue;
      for (const match of text.matchAll(/^\s+(\w+): \{ (?:numberOfKeys|lua)\b/gm)) declared.add(match[1]!);
      for (const match of text.matchAll(/^\s+(call\w+): [A-Z_]+,$/gm)) declared.add(match[1]!);
    }
    const registered = new Set(registeredScripts().keys());
    assert.ok(declared.size >= 20, `found ${declared.size} script declarations`);
    assert.deepEqual([...declared].filter((name) => !registered.has(name)), []);
  });

  it("runs each registered script with its sample keys: none is refused for crossing slots", async () => {
    const redis = run.platform.redis as unknown as Record<string, (...args: Array<string | number>) => Promise<unknown>>;
    const crossed: string[] = [];
    for (const [name, spec] of registeredScripts()) {
      try {
        await redis[name]!(...spec.sample());
      } catch (error) {
        // A script may refuse a made-up state (a Lua error); only a slot error fails the check.
        if (isCrossSlot(error)) crossed.push(`${name}: ${(error as Error).message}`);
      }
    }
    assert.deepEqual(crossed, []);
    assert.ok(registeredScripts().size >= 30);
  });

  it("every file using MULTI or a pipeline is listed, and each runs on the cluster", async () => {
    const users: string[] = [];
    for (const file of files) {
      const text = await readFile(path.join(ROOT, file), "utf8");
      if (/\.(multi|pipeline)\(/.test(text)) users.push(file);
    }
    assert.deepEqual(users.sort(), Object.keys(MULTI_USERS).sort());
    for (const [file, check] of Object.entries(MULTI_USERS)) {
      await check(run).catch((error: Error) => assert.fail(`${file}: ${error.message}`));
    }
  });

  it("the client-side slot function agrees with CLUSTER KEYSLOT, hash tags included", async () => {
    const keys = ["foo", "somekey", "unread:{c:abc}:u1", "cw:unread:{c:abc}:u2", "{}x", "a{}{b}", "presence:{u:42}:left", "{cw:bull}:maintenance:id"];
    const port = run.cluster.running()[0]!.port;
    for (const key of keys) assert.equal(keySlot(key), Number((await cli(port, "CLUSTER", "KEYSLOT", key)).trim()), key);
  });

  it("a script call whose keys span slots is refused by the client before Redis sees it", async () => {
    const unread = run.platform.redis as unknown as { chatUnreadIncr(n: number, ...keys: string[]): Promise<number> };
    await assert.rejects(unread.chatUnreadIncr(2, "unread:{c:a}:u1", "unread:{c:b}:u1"), (error: Error) => isCrossSlot(error));
  });
});
