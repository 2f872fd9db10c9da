import { compareBson, isNumeric, isPlainObject, toNumber, TypeBound, type Doc } from './bson-order.js';
import { formatValue } from './bson-view.js';
import { pathValues } from './document-paths.js';
import { conditionIntervals, fieldConditions, isPoints } from './index-bounds.js';
import { MongoServerError } from './mongo-error.js';

/** How the server treats sharded collections: `off` records keys and counts; `strict` refuses untargeted operations. */
export type ShardKeyMode = 'off' | 'strict';

/** A collection's shard key, as given to `shardCollection`. */
export interface ShardKey {
  readonly key: Doc;
  readonly fields: string[];
  readonly hashed: ReadonlySet<string>;
  readonly unique: boolean;
}

/** The comment prefix that marks a deliberate scatter-gather (`comment: "scatter-gather:<reason>"`). */
export const SCATTER_GATHER_PREFIX = 'scatter-gather:';

/** Parses and validates a `shardCollection` key pattern. */
export function parseShardKey(key: unknown, unique: boolean): ShardKey {
  if (!isPlainObject(key) || Object.keys(key).length === 0) throw new MongoServerError('BadValue', 'The shard key pattern must be a non-empty object');
  const hashed = new Set<string>();
  for (const [field, kind] of Object.entries(key)) {
    if (kind === 'hashed') hashed.add(field);
    else if (!isNumeric(kind) || toNumber(kind) !== 1) {
      throw new MongoServerError('BadValue', `Unsupported shard key pattern ${formatValue(key)}. Pattern must either be a single hashed field, or a list of ascending fields`);
    }
    if (field.startsWith('$') || field === '') throw new MongoServerError('BadValue', `Invalid shard key field '${field}'`);
  }
  if (hashed.size > 1) throw new MongoServerError('BadValue', 'A shard key may contain at most one hashed field');
  if (unique && hashed.size > 0) throw new MongoServerError('InvalidOptions', 'Hashed shard keys cannot be declared unique');
  return { key: { ...key }, fields: Object.keys(key), hashed, unique };
}

/** Whether two shard keys are the same pattern. */
export function sameShardKey(a: ShardKey, b: ShardKey): boolean {
  return a.fields.length === b.fields.length && a.fields.every((f, i) => f === b.fields[i] && a.hashed.has(f) === b.hashed.has(f));
}

/** How a filter's condition on one field narrows it: to values, to a range, or not at all. */
function narrowing(conds: unknown[] | undefined): 'values' | 'range' | 'none' {
  let best: 'values' | 'range' | 'none' = 'none';
  for (const cond of conds ?? []) {
    const intervals = conditionIntervals(cond, false);
    if (!intervals || intervals.length === 0) continue;
    if (isPoints(intervals)) return 'values';
    if (intervals.some((i) => !(i.lo instanceof TypeBound && i.hi instanceof TypeBound))) best = 'range';
  }
  return best;
}

/**
 * Whether mongos could route a filter to the shards owning part of the key space rather
 * than to every shard. The first shard-key field decides, as chunks are ranges of the key:
 * equality or `$in` on it targets; for a ranged (non-hashed) key a range on it does too.
 * An `$or` targets when each branch does. With `exact`, every key field needs one value
 * (what an upsert needs to know where its document goes).
 */
export function isTargeted(shardKey: ShardKey, filter: Doc, exact = false): boolean {
  const conds = fieldConditions(filter);
  if (exact) return shardKey.fields.every((f) => narrowing(conds.get(f)) === 'values' && (conds.get(f) ?? []).some(isSingleValue));
  const first = shardKey.fields[0] as string;
  const n = narrowing(conds.get(first));
  if (n === 'values' || (n === 'range' && !shardKey.hashed.has(first))) return true;
  const { $or, ...rest } = filter;
  if (Array.isArray($or) && $or.length > 0) return $or.every((branch) => isPlainObject(branch) && isTargeted(shardKey, { $and: [rest, branch] }));
  return false;
}

function isSingleValue(cond: unknown): boolean {
  const intervals = conditionIntervals(cond, false);
  return !!intervals && intervals.length === 1 && isPoints(intervals);
}

/** The shard-key fields a document lacks (or holds as arrays, which MongoDB refuses in a shard key). */
export function shardKeyProblem(shardKey: ShardKey, doc: Doc): string | undefined {
  for (const f of shardKey.fields) {
    const { values, multikey } = pathValues(doc, f);
    if (values.every((v) => v === undefined)) return `document does not contain shard key field '${f}'`;
    if (multikey || Array.isArray(values[0])) return `shard key field '${f}' cannot be an array`;
  }
  return undefined;
}

/** The shard-key values of a document, as shown in errors. */
export function shardKeyValues(shardKey: ShardKey, doc: Doc): string {
  return formatValue(shardKey.fields.map((f) => pathValues(doc, f).values[0] ?? null));
}

/** True when two versions of a document hold the same shard-key values. */
export function sameShardKeyValues(shardKey: ShardKey, a: Doc, b: Doc): boolean {
  return shardKey.fields.every((f) => compareBson(pathValues(a, f).values[0] ?? null, pathValues(b, f).values[0] ?? null) === 0);
}

/** Counters of how operations on sharded collections were routed. */
export interface ShardingCounters {
  targeted: number;
  /** Untargeted operations let through because the mode is `off`. */
  untargeted: number;
  refused: number;
  allowedScatterGather: number;
}

/**
 * The server's sharding state: each collection's shard key lives on its store; this keeps the
 * mode and the counters, and lists each deliberate scatter-gather by namespace and reason.
 */
export class ShardingState {
  readonly counters: ShardingCounters = { targeted: 0, untargeted: 0, refused: 0, allowedScatterGather: 0 };
  private readonly scatter = new Map<string, { ns: string; op: string; reason: string; count: number }>();

  constructor(readonly mode: ShardKeyMode) {}

  get strict(): boolean {
    return this.mode === 'strict';
  }

  /**
   * Checks one read or write filter on a sharded collection: targeted ones pass and are
   * counted; untargeted ones are refused in strict mode (ShardKeyNotFound, code 61) unless
   * the command's comment is `scatter-gather:<reason>`.
   */
  checkFilter(ns: string, shardKey: ShardKey, op: string, filter: Doc, comment: unknown, exact = false): void {
    if (isTargeted(shardKey, filter, exact)) {
      this.counters.targeted++;
      return;
    }
    const reason = typeof comment === 'string' && comment.startsWith(SCATTER_GATHER_PREFIX) ? comment.slice(SCATTER_GATHER_PREFIX.length).trim() : '';
    if (reason && !exact) {
      this.counters.allowedScatterGather++;
      const k = `${ns}\u0000${op}\u0000${reason}`;
      const entry = this.scatter.get(k) ?? { ns, op, reason, count: 0 };
      entry.count++;
      this.scatter.set(k, entry);
      return;
    }
    if (!this.strict) {
      this.counters.untargeted++;
      return;
    }
    this.counters.refused++;
    const pattern = formatValue(shardKey.key);
    if (exact) {
      throw new MongoServerError('ShardKeyNotFound', `Failed to target upsert by query :: could not extract exact shard key: the filter of an upsert on the sharded collection ${ns} must have an equality on every shard-key field ${pattern}`);
    }
    throw new MongoServerError('ShardKeyNotFound', `${op} on the sharded collection ${ns} does not target the shard key ${pattern} (filter ${formatValue(filter)}): it would be a scatter-gather over every shard. Add the shard key to the filter, or mark a deliberate scatter-gather with comment "${SCATTER_GATHER_PREFIX}<reason>" (embedded shard-key mode)`);
  }

  /** The counters and the deliberate scatter-gathers seen so far. */
  report(shardedCollections: number): Doc {
    return { mode: this.mode, shardedCollections, ...this.counters, scatterGathers: [...this.scatter.values()].map((e) => ({ ...e })) };
  }

  reset(): void {
    for (const k of Object.keys(this.counters) as (keyof ShardingCounters)[]) this.counters[k] = 0;
    this.scatter.clear();
  }
}
