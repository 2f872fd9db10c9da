import type { Redis } from "ioredis";

/**
 * A Lua script the application runs. Every script is declared through
 * `defineScripts`, so the registry below knows them all: the cluster check
 * (test/cluster/crossslot.test.ts) runs each one's `sample` against a real
 * Redis Cluster, and in tests every call is checked for keys in one hash slot
 * even on a single node (where Redis itself would not complain).
 */
export interface ScriptSpec {
  lua: string;
  /** Fixed key count; omitted when the caller passes the count first (variadic keys). */
  numberOfKeys?: number;
  /**
   * Keys and arguments of a representative call, built with the repository's
   * own key functions (the slot layout of a real call).
   */
  sample: () => Array<string | number>;
}

const registry = new Map<string, ScriptSpec>();

/** Every script declared so far, by command name. */
export function registeredScripts(): ReadonlyMap<string, ScriptSpec> {
  return registry;
}

/** Defines `specs` as commands on `redis` (once per connection) and records them in the registry. */
export function defineScripts(redis: Redis, specs: Record<string, ScriptSpec>): void {
  for (const [name, spec] of Object.entries(specs)) {
    registry.set(name, spec);
    if (name in redis) continue;
    redis.defineCommand(name, spec.numberOfKeys === undefined ? { lua: spec.lua } : { numberOfKeys: spec.numberOfKeys, lua: spec.lua });
    if (slotChecks ?? process.env.NODE_ENV === "test") guardSlots(redis, name, spec.numberOfKeys);
  }
}

/** Unset: on under NODE_ENV=test (read when a script is defined, so a test harness may set it late). */
let slotChecks: boolean | undefined;

/** Turns the per-call one-slot check on or off for connections defined from now on. */
export function setSlotChecks(on: boolean): void {
  slotChecks = on;
}

/** Wraps a defined command so a call whose keys span hash slots throws, as Redis Cluster would. */
function guardSlots(redis: Redis, name: string, numberOfKeys: number | undefined): void {
  type Command = (this: unknown, ...args: unknown[]) => Promise<unknown>;
  const target = redis as unknown as Record<string, Command>;
  const original = target[name]!;
  // A plain function: pipelines (auto-pipelining included) copy the method and call it with themselves as `this`.
  target[name] = function guarded(this: unknown, ...args: unknown[]) {
    const count = numberOfKeys ?? Number(args[0]);
    const keys = (numberOfKeys === undefined ? args.slice(1, 1 + count) : args.slice(0, count)).map(String);
    const slots = new Set(keys.map(keySlot));
    if (slots.size > 1) return Promise.reject(new Error(`CROSSSLOT script ${name}: keys ${keys.join(", ")} span ${slots.size} hash slots`));
    return original.apply(this, args);
  };
}

/** CRC16/XMODEM, the checksum Redis Cluster maps keys with. */
function crc16(input: Buffer): number {
  let crc = 0;
  for (const byte of input) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/**
 * The hash slot of a key (0-16383): the CRC16 of its hash tag — the part
 * between the first `{` and the next `}`, when non-empty — or of the whole key.
 * A key prefix without braces does not change a tagged key's slot.
 */
export function keySlot(key: string): number {
  const open = key.indexOf("{");
  if (open !== -1) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  return crc16(Buffer.from(key)) % 16384;
}
