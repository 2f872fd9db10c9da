import { compareBson, HIGHEST, isPlainObject, LOWEST, toNumber, type Doc } from './bson-order.js';
import type { BtreeIndex, KeyRange } from './btree-index.js';
import type { CollectionStore } from './collection-store.js';
import { admitsNull, conditionIntervals, fieldConditions, isPoints, type Interval } from './index-bounds.js';
import type { NearClause, WithinClause } from './geo-query.js';
import { MongoServerError } from './mongo-error.js';
import { parseTextSearch } from './text-index.js';

/** How a query reaches its candidate records. */
export interface QueryPlan {
  /** IXSCAN, OR, TEXT, GEO_NEAR_2DSPHERE, GEO (within), or COLLSCAN; shown in errors and by explain-like debugging. */
  stage: 'IXSCAN' | 'OR' | 'TEXT' | 'GEO_NEAR_2DSPHERE' | 'GEO' | 'COLLSCAN';
  /** Candidate record ids (a superset of the matches), possibly with repeats. */
  recordIds(): Iterable<number>;
  /** True when candidates arrive already in the requested sort order. */
  sorted: boolean;
  /** Text scores by record id for `$text` queries. */
  textScores?: Map<number, number>;
  /** Distances in meters by record id for `$near` queries (filled in as candidates are produced). */
  distances?: Map<number, number>;
  indexName?: string;
}

/** What a query asks for, as far as planning is concerned. */
export interface PlanInput {
  filter: Doc;
  text?: Doc;
  sort?: Doc;
  hint?: unknown;
  near?: NearClause;
  within?: WithinClause[];
}

const MAX_RANGES = 4096;

interface Candidate {
  index: BtreeIndex;
  bounds: Interval[][];
  score: number;
}

/**
 * Chooses an index for a query. When none can serve it and `notablescan` is on, the query
 * is refused as MongoDB refuses it (NoQueryExecutionPlans, code 291).
 */
export function planQuery(coll: CollectionStore, input: PlanInput, notablescan: boolean): QueryPlan {
  if (input.text) {
    if (input.near) throw new MongoServerError('BadValue', 'text and geoNear not allowed in same query');
    return textPlan(coll, input.text);
  }
  if (input.near) return nearPlan(coll, input.near, input);
  const hinted = hintedIndex(coll, input.hint);
  if (hinted === 'natural') return collScan(coll, notablescan, input);
  const plan = indexPlan(coll, input.filter, input.sort, hinted) ?? withinPlan(coll, input.within) ?? orPlan(coll, input.filter) ?? sortScan(coll, input.sort, input.filter, hinted);
  return plan ?? collScan(coll, notablescan, input);
}

function hintedIndex(coll: CollectionStore, hint: unknown): BtreeIndex | 'natural' | undefined {
  if (hint === undefined || hint === null) return undefined;
  if (isPlainObject(hint) && '$natural' in hint) return 'natural';
  for (const index of coll.indexes.values()) {
    if (typeof hint === 'string' ? index.name === hint : isPlainObject(hint) && sameKey(index.spec.key, hint)) return index;
  }
  if (typeof hint === 'string' && Object.keys(hint).length === 0) return undefined;
  throw new MongoServerError('BadValue', 'error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index');
}

function sameKey(a: Doc, b: Doc): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && toNumber(a[k]) === toNumber(b[k]));
}

function collScan(coll: CollectionStore, notablescan: boolean, input: PlanInput): QueryPlan {
  if (notablescan && !coll.name.startsWith('system.')) {
    throw new MongoServerError('NoQueryExecutionPlans', `error processing query: ns=${coll.ns} filter=${JSON.stringify(input.filter)} sort=${JSON.stringify(input.sort ?? {})} planner returned error :: caused by :: No indexed plans available, and running with 'notablescan'`);
  }
  return { stage: 'COLLSCAN', sorted: false, recordIds: () => coll.records.keys() };
}

/** `$near`/`$nearSphere` need a 2dsphere index on their field, as in MongoDB (code 291 otherwise). */
function nearPlan(coll: CollectionStore, near: NearClause, input: PlanInput): QueryPlan {
  const index = [...coll.geoIndexes.values()].find((g) => g.field === near.field);
  if (!index) {
    throw new MongoServerError('NoQueryExecutionPlans', `error processing query: ns=${coll.ns} filter=${JSON.stringify(input.filter)} planner returned error :: caused by :: unable to find index for $geoNear query`);
  }
  const distances = new Map<number, number>();
  return { stage: 'GEO_NEAR_2DSPHERE', sorted: false, distances, indexName: index.name, recordIds: () => index.near(near.center, near.minMeters, near.maxMeters, distances) };
}

/** `$geoWithin` on a field with a 2dsphere index: the entries in the region's covering boxes. */
function withinPlan(coll: CollectionStore, within: WithinClause[] | undefined): QueryPlan | undefined {
  for (const clause of within ?? []) {
    const index = [...coll.geoIndexes.values()].find((g) => g.field === clause.field);
    if (index) return { stage: 'GEO', sorted: false, indexName: index.name, recordIds: () => index.within(clause.region.boxes) };
  }
  return undefined;
}

function textPlan(coll: CollectionStore, text: Doc): QueryPlan {
  const index = coll.textIndex;
  if (!index) throw new MongoServerError('IndexNotFound', 'text index required for $text query');
  const scores = index.search(parseTextSearch(String(text.$search)));
  return { stage: 'TEXT', sorted: false, textScores: scores, recordIds: () => scores.keys(), indexName: index.name };
}

/** Bounds an index gets from a filter, or undefined when its leading field is unconstrained. */
function boundsFor(index: BtreeIndex, conds: Map<string, unknown[]>, filter: Doc): Interval[][] | undefined {
  const bounds: Interval[][] = [];
  for (const [i, field] of index.fields.entries()) {
    const list = conds.get(field);
    if (!list) break;
    const parts = list.map((c) => conditionIntervals(c, index.multikey)).filter((x): x is Interval[] => x !== undefined);
    if (parts.length === 0) break;
    const intervals = index.multikey ? (parts.find(isPoints) ?? (parts[0] as Interval[])) : parts.reduce((a, b) => intersectAll(a, b));
    if (index.hashed[i] && !isPoints(intervals)) break;
    bounds.push(intervals);
    if (!isPoints(intervals)) break;
  }
  if (bounds.length === 0) return undefined;
  if (index.spec.sparse && admitsNull(bounds[0] as Interval[])) return undefined;
  if (index.spec.partialFilterExpression && !impliesPartial(filter, index.spec.partialFilterExpression)) return undefined;
  return bounds;
}

function intersectAll(a: Interval[], b: Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const x of a) for (const y of b) {
    const lo = compareBson(x.lo, y.lo) >= 0 ? x.lo : y.lo;
    const hi = compareBson(x.hi, y.hi) <= 0 ? x.hi : y.hi;
    if (compareBson(lo, hi) <= 0) out.push({ lo, hi });
  }
  return out;
}

/**
 * A simple implication check: every clause of the partial filter must appear in the
 * query as the same equality, or an `$exists: true`/comparison the query's equality satisfies.
 */
function impliesPartial(filter: Doc, partial: Doc): boolean {
  const conds = fieldConditions(filter);
  return Object.entries(partial).every(([field, want]) => {
    if (field === '$and' && Array.isArray(want)) return want.every((w) => isPlainObject(w) && impliesPartial(filter, w));
    const have = conds.get(field);
    if (!have) return false;
    return have.some((h) => clauseImplies(h, want));
  });
}

function clauseImplies(have: unknown, want: unknown): boolean {
  const eq = isPlainObject(have) && '$eq' in have ? have.$eq : isPlainObject(have) && Object.keys(have).some((k) => k.startsWith('$')) ? undefined : have;
  if (isPlainObject(want) && Object.keys(want).every((k) => k.startsWith('$'))) {
    return Object.entries(want).every(([op, arg]) => {
      if (op === '$exists') return arg ? eq !== undefined && eq !== null || (isPlainObject(have) && have.$exists === true) : false;
      if (isPlainObject(have) && compareBson(have[op], arg) === 0) return true;
      if (eq === undefined) return false;
      const c = compareBson(eq, arg);
      return op === '$eq' ? c === 0 : op === '$gt' ? c > 0 : op === '$gte' ? c >= 0 : op === '$lt' ? c < 0 : op === '$lte' ? c <= 0 : false;
    });
  }
  return eq !== undefined && compareBson(eq, want) === 0;
}

/** Turns per-field intervals into key ranges in scan order. */
function keyRanges(index: BtreeIndex, bounds: Interval[][]): KeyRange[] {
  let combos: Interval[][] = [[]];
  for (const intervals of bounds) {
    if (combos.length * intervals.length > MAX_RANGES) break;
    combos = combos.flatMap((c) => intervals.map((iv) => [...c, iv]));
  }
  return combos.map((combo) => {
    const lo: unknown[] = [];
    const hi: unknown[] = [];
    index.fields.forEach((_, i) => {
      const iv = combo[i];
      const asc = (index.directions[i] as number) > 0;
      lo.push(iv ? (asc ? iv.lo : iv.hi) : LOWEST);
      hi.push(iv ? (asc ? iv.hi : iv.lo) : HIGHEST);
    });
    return { lo: [...lo, -Infinity], hi: [...hi, Infinity] };
  });
}

function indexPlan(coll: CollectionStore, filter: Doc, sort: Doc | undefined, hinted: BtreeIndex | undefined): QueryPlan | undefined {
  const conds = fieldConditions(filter);
  let best: Candidate | undefined;
  for (const index of hinted ? [hinted] : coll.indexes.values()) {
    const bounds = boundsFor(index, conds, filter);
    if (!bounds) continue;
    const points = bounds.filter(isPoints).length;
    const allPoints = points === index.fields.length && bounds.length === index.fields.length;
    let score = points * 10 + (bounds.length > points ? 5 : 0) + (allPoints && index.spec.unique ? 100 : 0);
    if (sortOrder(index, bounds, sort) !== undefined) score += 3;
    if (!best || score > best.score) best = { index, bounds, score };
  }
  if (!best) return undefined;
  const { index, bounds } = best;
  const ranges = keyRanges(index, bounds);
  const reverse = sortOrder(index, bounds, sort);
  const sorted = reverse !== undefined && ranges.length === 1;
  const ordered = sorted && reverse ? [...ranges].reverse() : ranges;
  return { stage: 'IXSCAN', sorted, indexName: index.name, recordIds: () => index.scan(ordered, sorted && reverse === true) };
}

/**
 * Whether scanning the index yields the requested sort: undefined if not, else whether
 * it must be scanned backwards. Equality-bound leading fields may be skipped.
 */
function sortOrder(index: BtreeIndex, bounds: Interval[][], sort: Doc | undefined): boolean | undefined {
  if (!sort || index.multikey || index.hashed.includes(true)) return undefined;
  const keys = Object.keys(sort);
  if (keys.length === 0 || keys.some((k) => isPlainObject(sort[k]))) return undefined;
  const singlePoints = bounds.filter((b) => b.length === 1 && isPoints(b)).length;
  for (let start = 0; start <= singlePoints; start++) {
    if (start + keys.length > index.fields.length) break;
    let reverse: boolean | undefined;
    let ok = true;
    keys.forEach((k, j) => {
      const i = start + j;
      const same = index.fields[i] === k && Math.sign(toNumber(sort[k])) === index.directions[i];
      const opposite = index.fields[i] === k && Math.sign(toNumber(sort[k])) === -(index.directions[i] as number);
      if (!same && !opposite) ok = false;
      else if (reverse === undefined) reverse = opposite;
      else if (reverse !== opposite) ok = false;
    });
    if (ok && reverse !== undefined) return reverse;
  }
  return undefined;
}

/** An `$or` is served when every branch is; candidates are the union of the branches'. */
function orPlan(coll: CollectionStore, filter: Doc): QueryPlan | undefined {
  const branches = Array.isArray(filter.$or) ? filter.$or : undefined;
  if (!branches) return undefined;
  const plans: QueryPlan[] = [];
  for (const branch of branches) {
    if (!isPlainObject(branch)) return undefined;
    const plan = indexPlan(coll, branch, undefined, undefined) ?? orPlan(coll, branch);
    if (!plan) return undefined;
    plans.push(plan);
  }
  return {
    stage: 'OR',
    sorted: false,
    *recordIds() {
      for (const p of plans) yield* p.recordIds();
    },
  };
}

/** A full scan of an index whose order gives the sort (allowed under notablescan, as IXSCAN). */
function sortScan(coll: CollectionStore, sort: Doc | undefined, filter: Doc, hinted: BtreeIndex | undefined): QueryPlan | undefined {
  if (hinted) return { stage: 'IXSCAN', sorted: false, indexName: hinted.name, recordIds: () => hinted.scanAll() };
  if (!sort || Object.keys(sort).length === 0) return undefined;
  for (const index of coll.indexes.values()) {
    if (index.spec.sparse || index.hashed.includes(true)) continue;
    if (index.spec.partialFilterExpression && !impliesPartial(filter, index.spec.partialFilterExpression)) continue;
    const keys = Object.keys(sort);
    const prefix = keys.every((k, i) => index.fields[i] === k);
    if (!prefix) continue;
    const signs = keys.map((k, i) => Math.sign(toNumber(sort[k])) * (index.directions[i] as number));
    if (!signs.every((s) => s === signs[0]) || isPlainObject(sort[keys[0] as string])) continue;
    const reverse = signs[0] === -1;
    return { stage: 'IXSCAN', sorted: !index.multikey, indexName: index.name, recordIds: () => index.scanAll(reverse) };
  }
  return undefined;
}
