import { Query } from 'mingo';
import { bsonTag, isPlainObject, type Doc } from './bson-order.js';
import { toView } from './bson-view.js';
import { checkJsonSchema } from './json-schema-validator.js';
import { badValue, MongoServerError } from './mongo-error.js';

/** A stored document: its BSON form and a lazily built view for mingo. */
export interface StoredRecord {
  readonly id: number;
  readonly doc: Doc;
  view?: Doc;
}

/** The mingo view of a record, built once per stored version of the document. */
export function viewOf(record: StoredRecord): Doc {
  return (record.view ??= toView(record.doc) as Doc);
}

/** Options shared by every mingo evaluation. */
export const MINGO_OPTIONS = {
  jsonSchemaValidator: (schema: Doc) => (doc: Doc) => checkJsonSchema(schema, doc).length === 0,
  scriptEnabled: false,
} as const;

/** Turns mingo's parse errors into MongoDB's BadValue, keeping our own errors intact. */
export function asServerError(err: unknown): MongoServerError {
  if (err instanceof MongoServerError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return badValue(msg.replace(/^mingo: /, ''));
}

/** A compiled filter: tests a document's mingo view. */
export type Matcher = (view: Doc) => boolean;

/** Compiles a query filter (without `$text`, which the planner resolves through the text index). */
export function compileFilter(filter: Doc | undefined): Matcher {
  if (!filter || Object.keys(filter).length === 0) return () => true;
  checkTopLevel(filter);
  try {
    const q = new Query(toView(filter) as Doc, MINGO_OPTIONS);
    return (view) => q.test(view);
  } catch (err) {
    throw asServerError(err);
  }
}

/** A compiled filter over stored records. */
export type RecordMatcher = (record: StoredRecord) => boolean;

/**
 * Compiles a query filter for testing stored records. A filter whose clauses are all
 * on top-level fields and either equal a string or boolean (`{_id, memberIds: userId}`),
 * test `$exists` (`{category: {$exists: true}}`, the usual partial index) or are an `$in`
 * of strings and ObjectIds only (`{_id: {$in: ids}}`, a page of posts by id) is tested on
 * the stored document directly — equal, or an array holding the value, as MongoDB
 * matches it — so the record needs no mingo view; any other filter goes through mingo
 * (whose `$in` hashes its whole list again for every document tested).
 */
export function compileRecordFilter(filter: Doc | undefined): RecordMatcher {
  if (!filter || Object.keys(filter).length === 0) return () => true;
  const clauses = Object.entries(filter).map(([field, cond]) => simpleClause(field, cond));
  if (clauses.every((c) => c !== undefined)) {
    const tests = clauses as ((doc: Doc) => boolean)[];
    return (record) => tests.every((test) => test(record.doc));
  }
  const matcher = compileFilter(filter);
  return (record) => matcher(viewOf(record));
}

function simpleClause(field: string, cond: unknown): ((doc: Doc) => boolean) | undefined {
  if (field === '' || field.startsWith('$') || field.includes('.')) return undefined;
  if (typeof cond === 'string' || typeof cond === 'boolean') return (doc) => equalsOrHolds(doc[field], cond);
  if (isPlainObject(cond) && Object.keys(cond).length === 1 && typeof cond.$exists === 'boolean') {
    const wanted = cond.$exists;
    return (doc) => Object.hasOwn(doc, field) === wanted;
  }
  if (isPlainObject(cond) && Object.keys(cond).length === 1 && Array.isArray(cond.$in)) return inClause(field, cond.$in);
  return undefined;
}

/** `{field: {$in: [...]}}` over strings and ObjectIds (compared by hex), else undefined (mingo's). */
function inClause(field: string, values: unknown[]): ((doc: Doc) => boolean) | undefined {
  const strings = new Set<string>();
  const objectIds = new Set<string>();
  for (const v of values) {
    if (typeof v === 'string') strings.add(v);
    else if (bsonTag(v) === 'ObjectId') objectIds.add((v as { toHexString(): string }).toHexString());
    else return undefined;
  }
  const one = (v: unknown): boolean =>
    typeof v === 'string' ? strings.has(v) : bsonTag(v) === 'ObjectId' && objectIds.has((v as { toHexString(): string }).toHexString());
  return (doc) => {
    const stored = doc[field];
    if (one(stored)) return true;
    if (!Array.isArray(stored)) return false;
    for (const element of stored) if (one(element)) return true;
    return false;
  };
}

function equalsOrHolds(stored: unknown, value: unknown): boolean {
  if (stored === value) return true;
  if (!Array.isArray(stored)) return false;
  for (const element of stored) if (element === value) return true;
  return false;
}

const TOP_LEVEL_OPS = new Set(['$and', '$or', '$nor', '$expr', '$jsonSchema', '$comment', '$where', '$text', '$alwaysTrue', '$alwaysFalse']);

function checkTopLevel(filter: Doc): void {
  for (const k of Object.keys(filter)) {
    if (k.startsWith('$') && !TOP_LEVEL_OPS.has(k)) throw badValue(`unknown top level operator: ${k}`);
    const v = filter[k];
    if ((k === '$and' || k === '$or' || k === '$nor') && (!Array.isArray(v) || v.length === 0)) {
      throw badValue(`${k} argument must be a non-empty array`);
    }
    if (!k.startsWith('$') && isPlainObject(v)) {
      for (const op of Object.keys(v)) if (op.startsWith('$') && !KNOWN_FIELD_OPS.has(op)) throw badValue(`unknown operator: ${op}`);
    }
  }
}

const KNOWN_FIELD_OPS = new Set([
  '$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$type', '$regex', '$options', '$not', '$all',
  '$elemMatch', '$size', '$mod', '$bitsAllSet', '$bitsAnySet', '$bitsAllClear', '$bitsAnyClear', '$jsonSchema',
]);

/** Removes a top-level `$text` clause from a filter, returning it separately. */
export function splitText(filter: Doc | undefined): { text?: Doc; rest: Doc } {
  if (!filter || !('$text' in filter)) return { rest: filter ?? {} };
  const { $text, ...rest } = filter;
  if (!isPlainObject($text) || typeof $text.$search !== 'string') throw badValue('$text requires a $search string');
  return { text: $text, rest };
}

/** True when `$text` appears anywhere but the top level, which MongoDB refuses. */
export function hasNestedText(filter: unknown, top = true): boolean {
  if (Array.isArray(filter)) return filter.some((f) => hasNestedText(f, false));
  if (!isPlainObject(filter)) return false;
  return Object.entries(filter).some(([k, v]) => (k === '$text' && !top) || hasNestedText(v, false));
}
