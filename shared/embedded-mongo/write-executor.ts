import { isPlainObject, type Doc } from './bson-order.js';
import type { CollectionStore } from './collection-store.js';
import { badValue } from './mongo-error.js';
import type { StoredRecord } from './query-matcher.js';
import { runQuery } from './query-executor.js';
import { applyUpdate, updateKind, upsertDocument } from './update-engine.js';

/** One update statement (an entry of `update.updates`, or findAndModify's arguments). */
export interface UpdateStatement {
  q: Doc;
  u: Doc | Doc[];
  multi: boolean;
  upsert: boolean;
  arrayFilters?: Doc[];
  sort?: Doc;
  hint?: unknown;
  bypassValidation?: boolean;
}

/** What an update statement did. */
export interface UpdateOutcome {
  matched: number;
  modified: number;
  upsertedId?: unknown;
  /** The first affected record before and after the change (for findAndModify). */
  before?: StoredRecord;
  after?: StoredRecord;
}

/** Parses an `updates` entry of the update command. */
export function parseUpdateStatement(raw: Doc): UpdateStatement {
  if (!isPlainObject(raw.q)) throw badValue("BSON field 'update.updates.q' is missing but a required field");
  const u = raw.u;
  if (!isPlainObject(u) && !Array.isArray(u)) throw badValue("BSON field 'update.updates.u' is missing but a required field");
  const multi = raw.multi === true;
  if (multi && updateKind(u) === 'replacement') throw badValue('multi update is not supported for replacement-style update');
  const arrayFilters = raw.arrayFilters === undefined ? undefined : (raw.arrayFilters as Doc[]);
  return { q: raw.q, u: u as Doc | Doc[], multi, upsert: raw.upsert === true, arrayFilters, hint: raw.hint };
}

/**
 * Runs one update statement: finds the targets through the planner (so notablescan applies),
 * applies the update to each, re-indexes what changed, or upserts when nothing matched.
 */
export function executeUpdate(coll: CollectionStore, stmt: UpdateStatement, notablescan: boolean): UpdateOutcome {
  const { records } = runQuery(coll, { filter: stmt.q, sort: stmt.sort, limit: stmt.multi ? undefined : 1, hint: stmt.hint }, notablescan);
  if (records.length === 0) {
    if (!stmt.upsert) return { matched: 0, modified: 0 };
    const doc = upsertDocument(stmt.q, stmt.u, stmt.arrayFilters);
    const record = coll.insert(doc, stmt.bypassValidation);
    return { matched: 0, modified: 0, upsertedId: doc._id, after: record };
  }
  const outcome: UpdateOutcome = { matched: 0, modified: 0 };
  for (const record of records) {
    const { doc, modified } = applyUpdate(record.doc, stmt.u, { query: stmt.q, arrayFilters: stmt.arrayFilters });
    const after = modified ? coll.replace(record, doc, stmt.bypassValidation) : record;
    outcome.matched++;
    if (modified) outcome.modified++;
    if (!outcome.before) {
      outcome.before = record;
      outcome.after = after;
    }
  }
  return outcome;
}

/** Deletes the records a filter matches (all, or the first `limit: 1`). */
export function executeDelete(coll: CollectionStore, q: Doc, limitOne: boolean, notablescan: boolean, sort?: Doc, hint?: unknown): StoredRecord[] {
  const { records } = runQuery(coll, { filter: q, sort, limit: limitOne ? 1 : undefined, hint }, notablescan);
  for (const r of records) coll.remove(r);
  return records;
}
