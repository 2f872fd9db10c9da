import { Query } from 'mingo';
import { Timestamp } from 'bson';
import { compareBson, identical, isNumeric, isPlainObject, toNumber, type Doc } from './bson-order.js';
import { cloneValue, formatValue, toView } from './bson-view.js';
import { bsonTypeName } from './json-schema-validator.js';
import { badValue, MongoServerError } from './mongo-error.js';
import { arith, zeroLike } from './numeric-ops.js';
import { MINGO_OPTIONS } from './query-matcher.js';
import { getAt, setAt, unsetAt } from './update-paths.js';

/** Applies one operator's argument at one concrete path; returns whether the document changed. */
export type FieldUpdater = (doc: Doc, parts: string[], arg: unknown, isInsert: boolean) => boolean;

const dotted = (parts: string[]): string => parts.join('.');

function setIfChanged(doc: Doc, parts: string[], value: unknown): boolean {
  const old = getAt(doc, parts);
  if (old !== undefined && identical(old, value)) return false;
  setAt(doc, parts, value);
  return true;
}

function numericArg(op: string, arg: unknown): void {
  if (!isNumeric(arg)) throw new MongoServerError('TypeMismatch', `Cannot ${op === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: {${formatValue(arg)}}`);
}

function arrayAt(doc: Doc, parts: string[], op: string, create: boolean): unknown[] | undefined {
  const cur = getAt(doc, parts);
  if (cur === undefined) {
    if (!create) return undefined;
    const arr: unknown[] = [];
    setAt(doc, parts, arr);
    return arr;
  }
  if (!Array.isArray(cur)) {
    if (op === '$pop' || op === '$pull' || op === '$pullAll') {
      throw badValue(`Cannot apply ${op} to a non-array value`);
    }
    throw badValue(`The field '${dotted(parts)}' must be an array but is of type ${bsonTypeName(cur)} in document {_id: ${formatValue(doc._id)}}`);
  }
  return cur;
}

/** Tests array elements against a `$pull` condition: a query for documents/operators, equality otherwise. */
function pullMatcher(cond: unknown): (el: unknown) => boolean {
  if (isPlainObject(cond)) {
    const opsOnly = Object.keys(cond).length > 0 && Object.keys(cond).every((k) => k.startsWith('$'));
    const q = new Query(toView(opsOnly ? { v: cond } : cond) as Doc, MINGO_OPTIONS);
    return (el) => (opsOnly ? q.test({ v: toView(el) }) : isPlainObject(el) && q.test(toView(el) as Doc));
  }
  return (el) => compareBson(el, cond) === 0;
}

function sortElements(arr: unknown[], spec: unknown): void {
  if (isPlainObject(spec)) {
    const fields = Object.entries(spec).map(([f, d]) => [f, toNumber(d)] as const);
    arr.sort((a, b) => {
      for (const [f, d] of fields) {
        const c = compareBson(getAt(a as Doc, f.split('.')) ?? null, getAt(b as Doc, f.split('.')) ?? null);
        if (c) return c * d;
      }
      return 0;
    });
  } else {
    const d = toNumber(spec);
    arr.sort((a, b) => compareBson(a, b) * d);
  }
}

/** The field-level update operators, each working on a cloned document in place. */
export const FIELD_UPDATERS: Record<string, FieldUpdater> = {
  $set: (doc, parts, arg) => setIfChanged(doc, parts, cloneValue(arg)),
  $setOnInsert: (doc, parts, arg, isInsert) => (isInsert ? setIfChanged(doc, parts, cloneValue(arg)) : false),
  $unset: (doc, parts) => unsetAt(doc, parts),
  $inc: (doc, parts, arg) => {
    numericArg('$inc', arg);
    const cur = getAt(doc, parts);
    if (cur !== undefined && !isNumeric(cur)) {
      throw new MongoServerError('TypeMismatch', `Cannot apply $inc to a value of non-numeric type. {_id: ${formatValue(doc._id)}} has the field '${parts[parts.length - 1]}' of non-numeric type ${bsonTypeName(cur)}`);
    }
    return setIfChanged(doc, parts, cur === undefined ? arg : arith('add', cur, arg));
  },
  $mul: (doc, parts, arg) => {
    numericArg('$mul', arg);
    const cur = getAt(doc, parts);
    if (cur !== undefined && !isNumeric(cur)) {
      throw new MongoServerError('TypeMismatch', `Cannot apply $mul to a value of non-numeric type. {_id: ${formatValue(doc._id)}} has the field '${parts[parts.length - 1]}' of non-numeric type ${bsonTypeName(cur)}`);
    }
    return setIfChanged(doc, parts, cur === undefined ? zeroLike(arg) : arith('mul', cur, arg));
  },
  $min: (doc, parts, arg) => {
    const cur = getAt(doc, parts);
    return cur === undefined || compareBson(arg, cur) < 0 ? setIfChanged(doc, parts, cloneValue(arg)) : false;
  },
  $max: (doc, parts, arg) => {
    const cur = getAt(doc, parts);
    return cur === undefined || compareBson(arg, cur) > 0 ? setIfChanged(doc, parts, cloneValue(arg)) : false;
  },
  $currentDate: (doc, parts, arg) => {
    const ts = isPlainObject(arg) && arg.$type === 'timestamp';
    const now = Date.now();
    return setIfChanged(doc, parts, ts ? new Timestamp({ t: Math.floor(now / 1000), i: 1 }) : new Date(now));
  },
  $push: (doc, parts, arg) => {
    const arr = arrayAt(doc, parts, '$push', true) as unknown[];
    const spec = isPlainObject(arg) && '$each' in arg ? arg : { $each: [arg] };
    if (!Array.isArray(spec.$each)) throw badValue(`The argument to $each in $push must be an array but it was of type: ${bsonTypeName(spec.$each)}`);
    const items = spec.$each.map(cloneValue);
    let pos = spec.$position === undefined ? arr.length : toNumber(spec.$position);
    if (pos < 0) pos = Math.max(0, arr.length + pos);
    arr.splice(Math.min(pos, arr.length), 0, ...items);
    if (spec.$sort !== undefined) sortElements(arr, spec.$sort);
    if (spec.$slice !== undefined) {
      const n = toNumber(spec.$slice);
      const kept = n >= 0 ? arr.slice(0, n) : arr.slice(Math.max(0, arr.length + n));
      arr.splice(0, arr.length, ...kept);
    }
    return true;
  },
  $addToSet: (doc, parts, arg) => {
    const arr = arrayAt(doc, parts, '$addToSet', true) as unknown[];
    const items = isPlainObject(arg) && '$each' in arg ? (arg.$each as unknown[]) : [arg];
    if (!Array.isArray(items)) throw badValue('The argument to $each in $addToSet must be an array');
    let changed = getAt(doc, parts) !== arr || arr.length === 0;
    for (const item of items) {
      if (!arr.some((el) => compareBson(el, item) === 0)) {
        arr.push(cloneValue(item));
        changed = true;
      }
    }
    return changed;
  },
  $pop: (doc, parts, arg) => {
    const arr = arrayAt(doc, parts, '$pop', false);
    if (!arr || arr.length === 0) return false;
    if (toNumber(arg) < 0) arr.shift();
    else arr.pop();
    return true;
  },
  $pull: (doc, parts, arg) => {
    const arr = arrayAt(doc, parts, '$pull', false);
    if (!arr) return false;
    const match = pullMatcher(arg);
    const kept = arr.filter((el) => !match(el));
    if (kept.length === arr.length) return false;
    arr.splice(0, arr.length, ...kept);
    return true;
  },
  $pullAll: (doc, parts, arg) => {
    if (!Array.isArray(arg)) throw badValue(`$pullAll requires an array argument but was given a ${bsonTypeName(arg)}`);
    const arr = arrayAt(doc, parts, '$pullAll', false);
    if (!arr) return false;
    const kept = arr.filter((el) => !arg.some((v) => compareBson(el, v) === 0));
    if (kept.length === arr.length) return false;
    arr.splice(0, arr.length, ...kept);
    return true;
  },
  $rename: (doc, parts, arg) => {
    if (typeof arg !== 'string') throw badValue(`The 'to' field for $rename must be a string: ${dotted(parts)}: ${formatValue(arg)}`);
    const value = getAt(doc, parts);
    if (value === undefined) return false;
    unsetAt(doc, parts);
    setAt(doc, arg.split('.'), value);
    return true;
  },
};
