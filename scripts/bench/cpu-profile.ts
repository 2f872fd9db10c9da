/**
 * Splits a V8 `.cpuprofile` (node --cpu-prof) by where the time went: garbage
 * collection, each library under node_modules (grouped: MongoDB driver, bson,
 * Socket.IO/engine.io/ws, ioredis, ...), Node's own internals, and our code by
 * top folder. Self time only, and only the samples inside a window of the
 * monotonic clock (process.hrtime), so start-up and idle time are left out.
 */
import { readFile } from "node:fs/promises";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const GROUPS: Array<[RegExp, string]> = [
  [/node_modules\/(mongodb|mongodb-connection-string-url)\//, "MongoDB driver"],
  [/node_modules\/bson\//, "bson"],
  [/node_modules\/(socket\.io|socket\.io-adapter|socket\.io-parser|engine\.io|engine\.io-parser|ws|@socket\.io\/component-emitter)\//, "Socket.IO / engine.io / ws"],
  [/node_modules\/@socket\.io\/redis-adapter\//, "Socket.IO Redis adapter"],
  [/node_modules\/(ioredis|@ioredis\/[^/]+|redis-parser|standard-as-callback|denque|cluster-key-slot)\//, "ioredis"],
  [/node_modules\/(@msgpack|notepack\.io)\//, "msgpack (adapter encoding)"],
  [/node_modules\/zod\//, "zod (validation)"],
  [/node_modules\/(pino|pino-std-serializers|sonic-boom|fast-redact|thread-stream)\//, "pino"],
  [/node_modules\/prom-client\//, "prom-client"],
  [/node_modules\/(tsx|esbuild|get-tsconfig)\//, "tsx loader"],
  [/node_modules\/debug\//, "debug"],
];

function groupOf(node: ProfileNode): string | null {
  const { url, functionName } = node.callFrame;
  if (functionName === "(idle)") return null;
  if (functionName === "(garbage collector)") return "garbage collection";
  if (functionName === "(program)") return "V8 / native (program)";
  if (functionName === "(root)") return null;
  for (const [pattern, name] of GROUPS) if (pattern.test(url)) return name;
  const nodeModule = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (nodeModule) return `other: ${nodeModule[1]}`;
  const ours = /\/(shared\/[^/]+|gateway)\//.exec(url);
  if (ours) return `ours: ${ours[1]}`;
  if (url === "" || url.startsWith("node:")) return "Node internals (net, streams, timers, crypto...)";
  return "other";
}

/** Percent of busy samples per group (descending) and the busy milliseconds in the window. */
export async function profileSplit(file: string, fromNs: bigint, toNs: bigint): Promise<{ busyMs: number; split: Array<[string, number]>; top: Array<[string, number]> }> {
  const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const [from, to] = [Number(fromNs / 1000n), Number(toNs / 1000n)];
  const busy = new Map<string, number>();
  const functions = new Map<string, number>();
  let at = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < from || at > to) continue;
    const group = groupOf(byId.get(profile.samples[i]!)!);
    if (group === null) continue;
    busy.set(group, (busy.get(group) ?? 0) + delta);
    const frame = byId.get(profile.samples[i]!)!.callFrame;
    const name = `${frame.functionName || "(anonymous)"} ${frame.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/(shared|gateway)\//, "$1/")}`;
    functions.set(name, (functions.get(name) ?? 0) + delta);
    total += delta;
  }
  const split = [...busy].map(([name, us]): [string, number] => [name, (100 * us) / Math.max(total, 1)]).sort((a, b) => b[1] - a[1]);
  const top = [...functions].map(([name, us]): [string, number] => [name, (100 * us) / Math.max(total, 1)]).sort((a, b) => b[1] - a[1]).slice(0, 15);
  return { busyMs: total / 1000, split, top };
}
