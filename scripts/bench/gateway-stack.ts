/**
 * The stores and processes the gateway benchmark runs against: a private
 * redis-server (so INFO commandstats counts only this run), a fresh PostgreSQL
 * database (migrated, dropped at the end), MongoDB (MONGO_URL or the embedded
 * server), and real role processes. Everything started here is stopped by `close`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig, type Config } from "../../shared/config/config.js";
import { migrateAll } from "../../shared/db/migrate.js";
import { dropDatabase } from "../../shared/db/postgres.js";
import { createLogger } from "../../shared/logging/logger.js";
import { freePort, waitFor } from "../../test/helpers/ports.js";
import { TestRedisServer } from "../../test/helpers/redis-server.js";

export { freePort };

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Polls until `check` holds (the tests' helper, under the name the benchmark uses). */
export const until = (check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> => waitFor(check, timeoutMs, what);

/** A spawned process that is killed when the stack closes. */
export interface Proc {
  child: ChildProcess;
  url: string;
  port: number;
  output(): string;
}

export class BenchStack {
  private readonly procs: ChildProcess[] = [];
  private stopMongo: (() => Promise<void>) | undefined;
  readonly runId = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  private redis: TestRedisServer | undefined;

  /** The benchmark's own Redis: its port (for INFO and MONITOR) and process id (for CPU). */
  get redisPort(): number {
    return this.redis?.port ?? 0;
  }

  get redisPid(): number {
    return this.redis?.pid ?? 0;
  }
  mongoUrl = "";
  env: Record<string, string> = {};
  config!: Config;

  /** Starts Redis, MongoDB and a migrated PostgreSQL database. */
  async start(gatewayEnv: Record<string, string>): Promise<void> {
    this.redis = await TestRedisServer.start();
    if (process.env.MONGO_URL) {
      this.mongoUrl = process.env.MONGO_URL;
    } else {
      const { startEmbeddedMongo } = await import("../../shared/embedded-mongo/index.js");
      const embedded = await startEmbeddedMongo({ port: 0, log: () => undefined });
      this.mongoUrl = embedded.uri;
      this.stopMongo = embedded.stop;
    }
    const pgBase = new URL(process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
    pgBase.pathname = `/cw_bench_${this.runId}`;
    this.env = {
      NODE_ENV: "development",
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      DATABASE_URL: pgBase.toString(),
      DATABASE_CREATE: "true",
      REDIS_URL: `redis://127.0.0.1:${this.redisPort}`,
      REDIS_PREFIX: `cwb${this.runId}:`,
      MONGO_URL: this.mongoUrl,
      MONGO_DB: `cw_bench_${this.runId}`,
      WORKER_SCHEDULES: "false",
      // Cheap hashing: the benchmark registers hundreds of users and measures sockets, not logins.
      ARGON2_MEMORY_KIB: "8192",
      ARGON2_TIME_COST: "1",
      // A load generator's sockets send far faster than a person; the check still runs on every send.
      SOCKET_MESSAGE_SEND_LIMIT: "1000000",
      ...gatewayEnv,
    };
    this.config = loadConfig({ ...process.env, ...this.env });
    await migrateAll(this.config, createLogger(this.config).child({ role: "bench-migrate" }), this.mongoUrl);
  }

  /** Spawns `node --import tsx <entry>` with the stack's environment and waits for its HTTP port. */
  async spawn(entry: string, portVar: string, extraEnv: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Proc> {
    const health = "/healthz";
    const port = await freePort();
    const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", entry], {
      cwd: ROOT,
      env: { ...process.env, ...this.env, [portVar]: String(port), ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.procs.push(child);
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
    child.stderr?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
    const url = `http://127.0.0.1:${port}`;
    await until(async () => {
      if (child.exitCode !== null) throw new Error(`${entry} exited:\n${output}`);
      return (await fetch(`${url}${health}`)).ok;
    }, 60_000, `${entry} to listen`).catch((error: Error) => {
      throw new Error(`${error.message}\n${output}`);
    });
    return { child, url, port, output: () => output };
  }

  async close(): Promise<void> {
    for (const child of this.procs.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGKILL");
        await exited;
      }
    }
    await this.redis?.stop();
    await this.stopMongo?.();
    if (this.env.DATABASE_URL) await dropDatabase(this.env.DATABASE_URL).catch((error: Error) => console.error(`dropping the bench database: ${error.message}`));
  }
}

/** Resident set size of a process, in bytes (Linux). */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

/** CPU time (user + system) a process has used so far, in seconds (Linux, 100 ticks/s). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Sums a Prometheus counter or gauge from a /metrics page, optionally per label value. */
export async function scrape(url: string, metric: string): Promise<{ total: number; by: Map<string, number> }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const by = new Map<string, number>();
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(metric)) continue;
    const match = /^([a-z_]+)(\{[^}]*\})?\s+([0-9.e+-]+)$/.exec(line);
    if (!match || match[1] !== metric) continue;
    const value = Number(match[3]);
    total += value;
    const label = /command="([^"]+)"/.exec(match[2] ?? "")?.[1] ?? "";
    by.set(label, (by.get(label) ?? 0) + value);
  }
  return { total, by };
}

/** Redis INFO commandstats: calls per command. */
export async function commandStats(port: number): Promise<Map<string, number>> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn("redis-cli", ["-p", String(port), "INFO", "commandstats"]);
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.once("error", reject);
    child.once("exit", () => resolve(text));
  });
  const calls = new Map<string, number>();
  for (const match of out.matchAll(/^cmdstat_([a-z|_-]+):calls=(\d+)/gm)) calls.set(match[1]!, Number(match[2]));
  return calls;
}

/**
 * Counts top-level Redis commands from `redis-cli MONITOR` while `work` runs:
 * commands a Lua script runs are not round trips and are skipped, and a
 * MULTI…EXEC block counts once (as MULTI).
 */
export async function monitorCommands(port: number, work: () => Promise<void>): Promise<Map<string, number>> {
  const child = spawn("redis-cli", ["-p", String(port), "MONITOR"]);
  let buffer = "";
  const counts = new Map<string, number>();
  const inMulti = new Set<string>();
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      const match = /^[\d.]+ \[\d+ ([^\]]+)\] "([^"]+)"/.exec(line);
      if (!match || match[1] === "lua") continue;
      const [client, command] = [match[1]!, match[2]!.toLowerCase()];
      if (command === "exec" || command === "discard") inMulti.delete(client);
      else if (inMulti.has(client)) continue;
      else if (command === "multi") inMulti.add(client);
      if (command !== "exec" && command !== "discard") counts.set(command, (counts.get(command) ?? 0) + 1);
    }
  });
  await until(() => buffer.includes("OK") || counts.size > 0 || child.exitCode !== null, 5_000, "MONITOR to start").catch(() => undefined);
  try {
    await work();
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    child.kill("SIGTERM");
  }
  return counts;
}

/** The soft limit of open files this process (and its children) may hold. */
export async function openFileLimit(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", "ulimit -n"]);
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.once("exit", () => resolve(Number.parseInt(text.trim(), 10) || 1024));
  });
}
