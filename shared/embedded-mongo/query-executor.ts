import { Double } from 'bson';
import { compareBson, isPlainObject, toNumber, type Doc } from './bson-order.js';
import type { CollectionStore } from './collection-store.js';
import { sortValue } from './document-paths.js';
import { badValue } from './mongo-error.js';
import { compileRecordFilter, hasNestedText, splitText, type StoredRecord } from './query-matcher.js';
import { splitGeo, withinTest } from './geo-query.js';
import { planQuery } from './query-planner.js';
import { parseTextSearch } from './text-index.js';

/** A query against one collection. */
export interface QuerySpec {
  filter?: Doc;
  sort?: Doc;
  skip?: number;
  limit?: number;
  hint?: unknown;
}

/** Matching records in result order, with text scores when the query used `$text`. */
export interface QueryResult {
  records: StoredRecord[];
  scores?: Map<number, number>;
  /** Distances in meters from a `$near` point, by record id. */
  distances?: Map<number, number>;
}

/** The text score of a record as MongoDB reports it (a double). */
export function textScore(result: QueryResult, record: StoredRecord): Double {
  return new Double(result.scores?.get(record.id) ?? 0);
}

const isMetaScore = (v: unknown): boolean => isPlainObject(v) && v.$meta === 'textScore';

/**
 * Runs a query: plans it (refusing table scans under notablescan), fetches candidates from
 * the chosen index, applies the full filter with mingo, then sorts, skips and limits.
 */
export function runQuery(coll: CollectionStore, spec: QuerySpec, notablescan: boolean): QueryResult {
  const filter = spec.filter ?? {};
  if (hasNestedText(filter)) throw badValue('$text is not allowed in this context');
  const { text, rest: withoutText } = splitText(filter);
  const { near, within, rest } = splitGeo(withoutText);
  const matches = compileRecordFilter(rest);
  const inRegion = withinTest(within);
  const sort = spec.sort && Object.keys(spec.sort).length > 0 ? spec.sort : undefined;
  if (sort) checkSort(sort, !!text);
  const plan = planQuery(coll, { filter: rest, text, sort, hint: spec.hint, near, within }, notablescan);
  const textQuery = text ? parseTextSearch(String(text.$search)) : undefined;
  const skip = spec.skip ?? 0;
  // Without a sort (or when the index yields it) the first skip+limit matches are the answer.
  const stopAt = (plan.sorted || !sort) && spec.limit ? skip + spec.limit : Infinity;
  const seen = new Set<number>();
  const records: StoredRecord[] = [];
  for (const id of plan.recordIds()) {
    if (seen.has(id)) continue;
    seen.add(id);
    const record = coll.records.get(id);
    if (!record || !matches(record) || (inRegion && !inRegion(record))) continue;
    if (textQuery && !coll.textIndex?.matchesPhrases(record.doc, textQuery)) continue;
    records.push(record);
    if (records.length >= stopAt) break;
  }
  const result: QueryResult = { records, scores: plan.textScores, distances: plan.distances };
  if (sort && !plan.sorted) sortRecords(result, sort);
  const end = spec.limit ? skip + spec.limit : undefined;
  if (skip || end !== undefined) result.records = result.records.slice(skip, end);
  return result;
}

function checkSort(sort: Doc, hasText: boolean): void {
  for (const [k, v] of Object.entries(sort)) {
    if (isMetaScore(v)) {
      if (!hasText) throw badValue('query requires text score metadata, but it is not available');
      continue;
    }
    const n = toNumber(v);
    if (n !== 1 && n !== -1) throw badValue(`$sort key ordering must be 1 (for ascending) or -1 (for descending) for field ${k}`);
  }
}

/** Sorts in MongoDB order; array fields sort by their min (ascending) or max (descending) element. */
export function sortRecords(result: QueryResult, sort: Doc): void {
  const fields = Object.entries(sort).map(([path, v]) => ({ path, meta: isMetaScore(v), dir: isMetaScore(v) ? -1 : toNumber(v) }));
  const keyed = result.records.map((r) => ({
    r,
    keys: fields.map((f) => (f.meta ? (result.scores?.get(r.id) ?? 0) : sortValue(r.doc, f.path, f.dir))),
  }));
  keyed.sort((a, b) => {
    for (let i = 0; i < fields.length; i++) {
      const c = compareBson(a.keys[i], b.keys[i]);
      if (c) return c * (fields[i]?.dir ?? 1);
    }
    return 0;
  });
  result.records = keyed.map((k) => k.r);
}
