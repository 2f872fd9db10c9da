import BTreeModule from 'sorted-btree';
import { bsonTag, compareBson, HIGHEST, LOWEST } from './bson-order.js';
import { pathValues } from './document-paths.js';
import { MongoServerError } from './mongo-error.js';
import type { IndexSpec } from './index-spec.js';
import type { RecordMatcher, StoredRecord } from './query-matcher.js';

// sorted-btree is CommonJS with an ES-style default export: depending on the loader the
// class arrives as the default import itself or on its `.default`.
type BTreeClass = typeof BTreeModule.default;
const BTree: BTreeClass = (BTreeModule as unknown as { default?: BTreeClass }).default ?? (BTreeModule as unknown as BTreeClass);
type Tree = InstanceType<typeof BTree<IndexKey, true>>;

/**
 * A string form that is equal for two `_id` values exactly when MongoDB's order says
 * they are equal, for the two kinds almost every `_id` is (strings and ObjectIds);
 * undefined for any other value.
 */
function exactIdKey(v: unknown): string | undefined {
  if (typeof v === 'string') return `s${v}`;
  if (bsonTag(v) === 'ObjectId') return `o${(v as { toHexString(): string }).toHexString()}`;
  return undefined;
}

/** An index key: one value per indexed field, then the record id as a tie-breaker. */
export type IndexKey = unknown[];

/** An inclusive range of index keys, each bound a full key (fields + record id). */
export interface KeyRange {
  lo: IndexKey;
  hi: IndexKey;
}

/**
 * One ascending/descending (compound, multikey) index over a collection: an ordered
 * B+ tree of keys plus the keys each record currently holds, so that an update only
 * touches the indexes whose keys changed.
 */
export class BtreeIndex {
  readonly fields: string[];
  readonly directions: number[];
  /** Per field: a hashed field serves only equality and `$in`, and gives no sort order. */
  readonly hashed: boolean[];
  readonly tree: Tree;
  private readonly keysByRecord = new Map<number, IndexKey[]>();
  /** Whether any document produced more than one key (MongoDB's `isMultiKey`). */
  multikey = false;
  /**
   * `_id_` only: record ids by `exactIdKey`, so uniqueness checks and lookups by `_id`
   * skip the tree. Valid only while every stored `_id` has such a key (dropped for good
   * at the first that has not: a symbol, for one, compares equal to a string).
   */
  private exactIds: Map<string, number> | undefined;

  constructor(readonly spec: IndexSpec, private readonly partialMatch?: RecordMatcher) {
    this.fields = Object.keys(spec.key);
    this.directions = this.fields.map((f) => (Number(spec.key[f]) < 0 ? -1 : 1));
    this.hashed = this.fields.map((f) => spec.key[f] === 'hashed');
    if (spec.name === '_id_') this.exactIds = new Map();
    const n = this.fields.length;
    const dirs = this.directions;
    this.tree = new BTree<IndexKey, true>(undefined, (a, b) => {
      for (let i = 0; i < n; i++) {
        const x = a[i];
        const y = b[i];
        if (x === y) continue;
        if (x === LOWEST || y === HIGHEST) return -1;
        if (x === HIGHEST || y === LOWEST) return 1;
        const c = compareBson(x, y);
        if (c) return c * (dirs[i] as number);
      }
      const r = (a[n] as number) - (b[n] as number);
      return r < 0 ? -1 : r > 0 ? 1 : 0;
    }, 64);
  }

  get name(): string {
    return this.spec.name;
  }

  /**
   * The keys a document produces, or an empty list when the index skips it
   * (sparse with every field missing, or outside the partial filter).
   */
  keysFor(record: StoredRecord): { keys: unknown[][]; multikey: boolean } {
    if (this.partialMatch && !this.partialMatch(record)) return { keys: [], multikey: false };
    const doc = record.doc;
    const perField = this.fields.map((f) => pathValues(doc, f));
    if (this.spec.sparse && perField.every((p) => p.values.every((v) => v === undefined))) {
      return { keys: [], multikey: false };
    }
    // One value per field (no array reached): a single key, built without the cross product.
    if (perField.every((p) => !p.multikey && p.values.length === 1)) {
      const key = new Array<unknown>(perField.length);
      for (let i = 0; i < perField.length; i++) {
        const v = (perField[i] as { values: unknown[] }).values[0];
        key[i] = v === undefined ? null : v;
      }
      return { keys: [key], multikey: false };
    }
    const arrays = perField.filter((p) => p.multikey);
    if (arrays.length > 1 && perField.filter((p) => p.values.length > 1).length > 1) {
      const names = this.fields.filter((_, i) => perField[i]?.multikey).map((f) => `[${f}]`);
      throw new MongoServerError('CannotIndexParallelArrays', `cannot index parallel arrays ${names.join(' ')}`);
    }
    let keys: unknown[][] = [[]];
    for (const p of perField) {
      const next: unknown[][] = [];
      for (const k of keys) for (const v of p.values) next.push([...k, v === undefined ? null : v]);
      keys = next;
    }
    return { keys, multikey: arrays.length > 0 };
  }

  /** The id of another record already holding one of `keys`, if this is a unique index. */
  conflict(keys: unknown[][], recordId: number): { recordId: number; key: unknown[] } | undefined {
    if (!this.spec.unique && this.spec.name !== '_id_') return undefined;
    const exact = this.exactIds && keys.length === 1 ? exactIdKey((keys[0] as unknown[])[0]) : undefined;
    if (exact !== undefined) {
      const other = (this.exactIds as Map<string, number>).get(exact);
      return other !== undefined && other !== recordId ? { recordId: other, key: keys[0] as unknown[] } : undefined;
    }
    const n = this.fields.length;
    for (const key of keys) {
      // Keys with these fields sort by record id: at most this record's and one other's.
      let pair = this.tree.nextHigherPair([...key, -Infinity]);
      while (pair && this.sameFields(pair[0], key)) {
        const other = pair[0][n] as number;
        if (other !== recordId) return { recordId: other, key };
        pair = this.tree.nextHigherPair(pair[0]);
      }
    }
    return undefined;
  }

  private sameFields(a: IndexKey, b: unknown[]): boolean {
    for (let i = 0; i < this.fields.length; i++) if (compareBson(a[i], b[i]) !== 0) return false;
    return true;
  }

  /**
   * Replaces the keys of a record (add: previous none; remove: `keys` empty).
   * Takes ownership of `keys` (fresh from `keysFor`): the record id is appended in place.
   */
  setKeys(recordId: number, keys: unknown[][], multikey: boolean): void {
    const old = this.keysByRecord.get(recordId);
    if (old) for (const k of old) this.tree.delete(k);
    if (this.exactIds) this.trackExactIds(recordId, old, keys);
    if (keys.length === 0) {
      this.keysByRecord.delete(recordId);
      return;
    }
    for (const k of keys) {
      k.push(recordId);
      this.tree.set(k, true);
    }
    this.keysByRecord.set(recordId, keys);
    if (multikey) this.multikey = true;
  }

  /** The record holding `_id` value `id`: a number, none (null), or undefined when only the tree can tell. */
  exactLookup(id: unknown): number | null | undefined {
    if (!this.exactIds) return undefined;
    const exact = exactIdKey(id);
    return exact === undefined ? undefined : (this.exactIds.get(exact) ?? null);
  }

  private trackExactIds(recordId: number, old: IndexKey[] | undefined, keys: unknown[][]): void {
    const ids = this.exactIds as Map<string, number>;
    for (const k of old ?? []) {
      const exact = exactIdKey(k[0]);
      if (exact !== undefined && ids.get(exact) === recordId) ids.delete(exact);
    }
    for (const k of keys) {
      const exact = exactIdKey(k[0]);
      if (exact === undefined) {
        this.exactIds = undefined;
        return;
      }
      ids.set(exact, recordId);
    }
  }

  /** The keys a record holds now, without the record id. */
  keysOf(recordId: number): unknown[][] {
    return (this.keysByRecord.get(recordId) ?? []).map((k) => k.slice(0, this.fields.length));
  }

  /** True when the record's keys would not change. */
  sameKeys(recordId: number, keys: unknown[][]): boolean {
    const old = this.keysByRecord.get(recordId) ?? [];
    if (old.length !== keys.length) return false;
    return keys.every((k, i) => this.sameFields(old[i] as IndexKey, k) && k.length === this.fields.length);
  }

  /** Record ids in key order within the ranges (which must be in scan order). */
  *scan(ranges: KeyRange[], reverse = false): Generator<number> {
    const n = this.fields.length;
    const cmp = this.tree._compare;
    for (const { lo, hi } of ranges) {
      if (!reverse) {
        for (const [k] of this.tree.entries(lo)) {
          if (cmp(k, hi) > 0) break;
          yield k[n] as number;
        }
      } else {
        for (const [k] of this.tree.entriesReversed(hi)) {
          if (cmp(k, lo) < 0) break;
          yield k[n] as number;
        }
      }
    }
  }

  /** Every record id in key order (a full index scan). */
  *scanAll(reverse = false): Generator<number> {
    const lo = [...this.fields.map(() => LOWEST), -Infinity];
    const hi = [...this.fields.map(() => HIGHEST), Infinity];
    yield* this.scan([{ lo, hi }], reverse);
  }

  get size(): number {
    return this.tree.size;
  }
}
