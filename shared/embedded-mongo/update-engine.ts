import { ObjectId } from 'bson';
import { identical, isPlainObject, type Doc } from './bson-order.js';
import { cloneValue, formatValue, fromView, toView } from './bson-view.js';
import { MongoServerError } from './mongo-error.js';
import { checkUpdatePipeline, runPipeline } from './pipeline-runner.js';
import { FIELD_UPDATERS } from './update-operators.js';
import { PathResolver, setAt } from './update-paths.js';

/** What an update may look at besides the document: the query (for `$`) and arrayFilters. */
export interface UpdateContext {
  query?: Doc;
  arrayFilters?: Doc[];
  /** True when the update builds an upserted document (`$setOnInsert` applies). */
  isInsert?: boolean;
}

/** An update is either operators (`{$set: ...}`), a replacement document, or a pipeline. */
export function updateKind(update: unknown): 'operators' | 'replacement' | 'pipeline' {
  if (Array.isArray(update)) return 'pipeline';
  const keys = isPlainObject(update) ? Object.keys(update) : [];
  return keys.length > 0 && keys[0]?.startsWith('$') ? 'operators' : 'replacement';
}

/**
 * Applies an update to a copy of a stored document. Stored documents are never modified
 * in place, so open cursors keep the version they read.
 */
export function applyUpdate(doc: Doc, update: Doc | Doc[], ctx: UpdateContext): { doc: Doc; modified: boolean } {
  const kind = updateKind(update);
  let next: Doc;
  if (kind === 'pipeline') next = applyPipeline(doc, update as Doc[]);
  else if (kind === 'replacement') next = replacement(doc, update as Doc);
  else next = applyOperators(doc, update as Doc, ctx);
  if (!ctx.isInsert && doc._id !== undefined && !identical(doc._id, next._id)) {
    throw new MongoServerError('ImmutableField', `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatValue(next._id)}`);
  }
  return { doc: next, modified: !identical(doc, next) };
}

function replacement(doc: Doc, update: Doc): Doc {
  for (const k of Object.keys(update)) {
    if (k.startsWith('$')) throw new MongoServerError('BadValue', `The dollar ($) prefixed field '${k}' in '${k}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`);
  }
  const { _id, ...rest } = update;
  const id = doc._id !== undefined ? doc._id : _id;
  const out: Doc = id === undefined ? {} : { _id: id };
  if (_id !== undefined) out._id = _id;
  return { ...out, ...cloneValue(rest) };
}

/** An update pipeline reaches no other collection (its stages cannot). */
const NO_COLLECTIONS = { collectionDocs: () => [], matchForeign: () => [] };

function applyPipeline(doc: Doc, stages: Doc[]): Doc {
  checkUpdatePipeline(stages);
  const [out] = runPipeline([toView(doc) as Doc], stages.map((s) => toView(s) as Doc), NO_COLLECTIONS);
  const typed = fromView(out) as Doc;
  // Untouched fields keep their exact stored types (a Double stays a Double).
  for (const k of Object.keys(typed)) if (k in doc && identical(toView(doc[k]), toView(typed[k]))) typed[k] = doc[k];
  // A pipeline cannot drop `_id` (the stored one is kept), and `_id` stays the first field.
  const { _id, ...rest } = typed;
  const id = _id === undefined ? doc._id : _id;
  return id === undefined ? rest : { _id: id, ...rest };
}

function conflictCheck(paths: string[]): void {
  const sorted = [...paths].sort();
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1] as string;
    const b = sorted[i] as string;
    if (a === b || b.startsWith(`${a}.`)) {
      throw new MongoServerError('ConflictingUpdateOperators', `Updating the path '${b}' would create a conflict at '${a}'`);
    }
  }
}

function applyOperators(doc: Doc, update: Doc, ctx: UpdateContext): Doc {
  const allPaths: string[] = [];
  for (const [op, fields] of Object.entries(update)) {
    if (!FIELD_UPDATERS[op]) {
      throw new MongoServerError('FailedToParse', `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`);
    }
    if (!isPlainObject(fields)) throw new MongoServerError('FailedToParse', `Modifiers operate on fields but we found type ${typeof fields} instead.`);
    for (const [path, arg] of Object.entries(fields)) {
      allPaths.push(path);
      if (op === '$rename' && typeof arg === 'string') allPaths.push(arg);
    }
  }
  conflictCheck(allPaths);
  const next = copyForWrite(doc, new Set(allPaths.map((path) => path.split('.', 1)[0] as string)));
  const resolver = new PathResolver(next, ctx.query, ctx.arrayFilters);
  for (const [op, fields] of Object.entries(update)) {
    const updater = FIELD_UPDATERS[op];
    if (!updater) continue;
    for (const [path, arg] of Object.entries(fields as Doc)) {
      if (path === '' || path.split('.').some((p) => p === '')) throw new MongoServerError('BadValue', `An empty update path is not valid.`);
      for (const parts of resolver.expand(path)) updater(next, parts, arg, ctx.isInsert === true);
    }
  }
  const unused = resolver.unusedFilters();
  if (unused.length) throw new MongoServerError('FailedToParse', `The array filter for identifier '${unused[0]}' was not used in the update ${formatValue(update)}`);
  return next;
}

/**
 * A new version of a stored document for an update to write into: the top-level fields the
 * update touches are deep copies, the rest are shared with the stored version (which nothing
 * modifies), so an update costs what it changes, not the size of the document — a claim of
 * the next seq does not copy a 10,000-member list.
 */
function copyForWrite(doc: Doc, touched: Set<string>): Doc {
  const next: Doc = {};
  for (const k of Object.keys(doc)) next[k] = touched.has(k) ? cloneValue(doc[k]) : doc[k];
  return next;
}

/**
 * The document an upsert inserts: the query's equality fields, then the update applied
 * with `$setOnInsert` in force, `_id` first (generated when the query does not fix it).
 */
export function upsertDocument(query: Doc, update: Doc | Doc[], arrayFilters: Doc[] | undefined): Doc {
  const base: Doc = {};
  const kind = updateKind(update);
  if (kind !== 'replacement') addEqualities(base, query);
  let doc: Doc;
  if (kind === 'replacement') {
    const id = equalityValue(query._id);
    doc = replacement(id === undefined ? {} : { _id: id }, update as Doc);
  } else {
    doc = applyUpdate(base, update, { query, arrayFilters, isInsert: true }).doc;
  }
  const { _id, ...rest } = doc;
  return { _id: _id === undefined ? new ObjectId() : _id, ...rest };
}

function equalityValue(cond: unknown): unknown {
  if (isPlainObject(cond)) {
    const keys = Object.keys(cond);
    if (keys.length === 1 && keys[0] === '$eq') return cond.$eq;
    if (keys.some((k) => k.startsWith('$'))) return undefined;
  }
  return cond;
}

function addEqualities(base: Doc, query: Doc): void {
  for (const [key, cond] of Object.entries(query)) {
    if (key === '$and' && Array.isArray(cond)) {
      for (const sub of cond) if (isPlainObject(sub)) addEqualities(base, sub);
      continue;
    }
    if (key.startsWith('$')) continue;
    const v = equalityValue(cond);
    if (v !== undefined && !(v instanceof RegExp)) setAt(base, key.split('.'), cloneValue(v));
  }
}
