/**
 * Profiling aid for idle sockets: one product gateway (or the tutorial server
 * with IDLE_TARGET=tutorial), IDLE_SOCKETS idle sockets (2,000), heap snapshots
 * before and after (written by the gateway on SIGUSR2 to IDLE_SNAPSHOT_DIR), and
 * the retained growth per socket by constructor.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { createLogger } from "../../shared/logging/logger.js";
import { createPlatform } from "../../shared/runtime/platform.js";
import { createServices } from "../../shared/runtime/services.js";
import { Load, sleep } from "./gateway-driver.js";
import { BenchStack, rssOf } from "./gateway-stack.js";

const COUNT = Number(process.env.IDLE_SOCKETS ?? 2000);
const DIR = process.env.IDLE_SNAPSHOT_DIR ?? "/tmp";
const TARGET = process.env.IDLE_TARGET ?? "product";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

async function bySelfSize(file: string): Promise<Map<string, { count: number; size: number }>> {
  const data = JSON.parse(await readFile(file, "utf8")) as Snapshot;
  const fields = data.snapshot.meta.node_fields;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f)) as [number, number, number];
  const types = data.snapshot.meta.node_types[0];
  const out = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < data.nodes.length; i += width) {
    const type = types[data.nodes[i + typeAt]!]!;
    const name = type === "object" || type === "closure" ? `${type}:${data.strings[data.nodes[i + nameAt]!]}` : `(${type})`;
    const entry = out.get(name) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += data.nodes[i + sizeAt]!;
    out.set(name, entry);
  }
  return out;
}

async function snapshot(pid: number): Promise<string> {
  const before = new Set(await readdir(DIR));
  process.kill(pid, "SIGUSR2");
  for (;;) {
    await sleep(500);
    const file = (await readdir(DIR)).find((f) => f.endsWith(".heapsnapshot") && !before.has(f));
    if (file) {
      // Written in pieces: done once its size stops changing.
      let size = -1;
      for (;;) {
        await sleep(1000);
        const now = (await stat(path.join(DIR, file))).size;
        if (now === size && now > 0) return path.join(DIR, file);
        size = now;
      }
    }
  }
}

const stack = new BenchStack();
let load: Load | undefined;
try {
  await stack.start({ SOCKET_MAX_CONNECTIONS_PER_USER: "1000", PRESENCE_TTL_SECONDS: "3600" });
  const platform = await createPlatform(stack.config, createLogger({ ...stack.config, LOG_LEVEL: "error" }), stack.mongoUrl);
  const services = createServices(platform);
  const tokens: string[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await services.auth.register({ email: `idle-${stack.runId}-${i}@example.test`, password: `Idle-pass-${stack.runId}-${i}`, fullName: `Idle ${i}` }, { ip: "10.0.0.1", userAgent: "idle" });
    tokens.push(r.accessToken);
  }
  const args = ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${DIR}`];
  const proc =
    TARGET === "tutorial"
      ? await stack.spawn("scripts/bench/tutorial-chat.ts", "PORT", { CHANNEL_PREFIX: `tut${stack.runId}`, JWT_SECRET: stack.config.JWT_SECRET, JWT_ISSUER: stack.config.JWT_ISSUER, JWT_AUDIENCE: stack.config.JWT_AUDIENCE }, args)
      : await stack.spawn("gateway/main.ts", "GATEWAY_PORT", { LOG_LEVEL: "error" }, args);
  load = Load.fork();
  await load.call({ cmd: "idle", url: proc.url, tokens, count: 200, concurrency: 50 });
  await load.call({ cmd: "closeIdle" });
  await sleep(3000);
  const rss0 = await rssOf(proc.child.pid!);
  const first = await bySelfSize(await snapshot(proc.child.pid!));
  await load.call({ cmd: "idle", url: proc.url, tokens, count: COUNT, concurrency: 200 });
  await sleep(3000);
  const rss1 = await rssOf(proc.child.pid!);
  const second = await bySelfSize(await snapshot(proc.child.pid!));
  let total = 0;
  const rows: Array<[string, number, number]> = [];
  for (const [name, after] of second) {
    const was = first.get(name) ?? { count: 0, size: 0 };
    const size = after.size - was.size;
    total += size;
    if (Math.abs(size) / COUNT >= 40) rows.push([name, (after.count - was.count) / COUNT, size / COUNT]);
  }
  console.log(`${TARGET}: ${COUNT} sockets; RSS ${((rss1 - rss0) / COUNT / 1024).toFixed(1)} KB/socket; heap (snapshot self sizes) ${(total / COUNT / 1024).toFixed(1)} KB/socket`);
  for (const [name, count, size] of rows.sort((a, b) => b[2] - a[2])) console.log(`${size.toFixed(0).padStart(7)} B  ${count.toFixed(2).padStart(6)}×  ${name}`);
} finally {
  load?.kill();
  await stack.close();
}
process.exit(0);
