import { isNumeric, isPlainObject, toNumber, type Doc } from '../bson-order.js';
import { badValue, MongoServerError } from '../mongo-error.js';

/** The collection a command names in its first field, validated. */
export function collectionArg(cmd: Doc, name: string): string {
  const v = cmd[name];
  if (typeof v !== 'string' || v.length === 0) {
    throw new MongoServerError('InvalidNamespace', `collection name has invalid type ${v === undefined ? 'missing' : typeof v}`);
  }
  return v;
}

/** An optional numeric argument as a JS number. */
export function numberArg(cmd: Doc, name: string): number | undefined {
  const v = cmd[name];
  if (v === undefined || v === null) return undefined;
  if (!isNumeric(v)) throw new MongoServerError('TypeMismatch', `Field '${name}' should be a number, but got ${typeof v}`);
  return toNumber(v);
}

/** An optional non-negative integer argument. */
export function countArg(cmd: Doc, name: string): number | undefined {
  const n = numberArg(cmd, name);
  if (n !== undefined && (n < 0 || !Number.isInteger(n))) throw badValue(`${name} value must be non-negative, but received: ${n}`);
  return n;
}

/** An optional document argument. */
export function docArg(cmd: Doc, name: string): Doc | undefined {
  const v = cmd[name];
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v)) throw new MongoServerError('TypeMismatch', `BSON field '${name}' is the wrong type '${typeof v}', expected type 'object'`);
  return v;
}

/** An optional boolean argument (numbers count as booleans, as MongoDB accepts). */
export function boolArg(cmd: Doc, name: string, fallback: boolean): boolean {
  const v = cmd[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'boolean') return v;
  if (isNumeric(v)) return toNumber(v) !== 0;
  throw new MongoServerError('TypeMismatch', `Field '${name}' should be a boolean`);
}

/** An array-of-documents argument. */
export function docsArg(cmd: Doc, name: string): Doc[] {
  const v = cmd[name];
  if (!Array.isArray(v) || !v.every(isPlainObject)) {
    throw new MongoServerError('TypeMismatch', `BSON field '${name}' is the wrong type, expected type 'array' of documents`);
  }
  return v as Doc[];
}
