import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort, waitFor } from "./ports.js";

const run = promisify(execFile);

/** One redis-server of the test cluster. */
export interface ClusterNodeProcess {
  port: number;
  child: ChildProcess | undefined;
}

/**
 * A real Redis Cluster for tests: 3 masters and 3 replicas of Debian's
 * `redis-server` on free ports (client and bus ports both picked free), made
 * into a cluster by `redis-cli --cluster create ... --cluster-replicas 1`.
 * Node timeout 2 s, so a killed master's replica is promoted within seconds.
 * The machine's shared Redis is never touched; `stop()` kills every node and
 * removes their directory.
 */
export class TestRedisCluster {
  private constructor(
    readonly nodes: ClusterNodeProcess[],
    private readonly dir: string,
  ) {}

  /** Seed nodes as REDIS_CLUSTER_NODES spells them. */
  get seeds(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(",");
  }

  /** Seed nodes as the config parses them. */
  get clusterNodes(): Array<{ host: string; port: number }> {
    return this.nodes.map((n) => ({ host: "127.0.0.1", port: n.port }));
  }

  static async start(size = 6): Promise<TestRedisCluster> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "cw-redis-cluster-"));
    const nodes: ClusterNodeProcess[] = [];
    const cluster = new TestRedisCluster(nodes, dir);
    try {
      for (let i = 0; i < size; i++) {
        const node: ClusterNodeProcess = { port: await freePort(), child: undefined };
        const busPort = await freePort();
        node.child = spawn(
          "redis-server",
          [
            "--port", String(node.port), "--cluster-port", String(busPort), "--bind", "127.0.0.1",
            "--cluster-enabled", "yes", "--cluster-config-file", path.join(dir, `nodes-${node.port}.conf`),
            // A replica stays eligible for failover however long its link to the master lagged
            // (validity factor 0): on a loaded machine a lagging link must not block the promotion.
            "--cluster-node-timeout", "2000", "--cluster-replica-validity-factor", "0", "--dir", dir, "--save", "", "--appendonly", "no",
            "--maxmemory-policy", "noeviction", "--protected-mode", "no",
          ],
          { stdio: "ignore" },
        );
        nodes.push(node);
      }
      await Promise.all(nodes.map((n) => waitFor(async () => (await cli(n.port, "PING")).trim() === "PONG", 15_000, `redis-server on ${n.port}`)));
      await run("redis-cli", ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "1", "--cluster-yes"], { timeout: 60_000 });
      await cluster.waitHealthy(30_000);
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** Waits until every running node reports `cluster_state:ok` and all 16384 slots are served. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await waitFor(async () => {
      const infos = await Promise.all(this.running().map((n) => cli(n.port, "CLUSTER", "INFO")));
      return infos.every((info) => info.includes("cluster_state:ok") && info.includes("cluster_slots_ok:16384"));
    }, timeoutMs, "cluster_state:ok on every node");
  }

  /** Nodes whose process is running. */
  running(): ClusterNodeProcess[] {
    return this.nodes.filter((n) => n.child && n.child.exitCode === null && n.child.signalCode === null);
  }

  /** The ports of the nodes that are masters now. */
  async masters(): Promise<number[]> {
    const out: number[] = [];
    for (const node of this.running()) {
      const role = await cli(node.port, "ROLE");
      if (role.startsWith("master")) out.push(node.port);
    }
    return out;
  }

  /** The port of the master serving `key`'s slot now (from CLUSTER NODES of a running node). */
  async masterOf(key: string): Promise<number> {
    const any = this.running()[0]!;
    const slot = Number((await cli(any.port, "CLUSTER", "KEYSLOT", key)).trim());
    for (const line of (await cli(any.port, "CLUSTER", "NODES")).split("\n")) {
      const [, address, flags, , , , , , ...ranges] = line.trim().split(" ");
      if (!address || !flags || !flags.split(",").includes("master") || flags.includes("fail")) continue;
      for (const range of ranges) {
        const [lo, hi = lo] = range.split("-").map(Number);
        if (slot >= lo! && slot <= hi!) return Number(address.split("@")[0]!.split(":").pop());
      }
    }
    throw new Error(`no master found for slot ${slot}`);
  }

  /** SIGKILLs one node (a crashed master, say) and waits for its exit. */
  async kill(port: number): Promise<void> {
    const node = this.nodes.find((n) => n.port === port);
    const child = node?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  /** Kills every node and removes their files. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.kill(n.port)));
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** One redis-cli command against one node; its raw output. */
export async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { timeout: 10_000 });
  return stdout;
}
