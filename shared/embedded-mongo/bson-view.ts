import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp } from 'bson';
import { bsonTag, isPlainObject, toNumber, type Doc } from './bson-order.js';

/**
 * The form of a value that mingo evaluates: numeric wrappers become JS numbers so that
 * mingo compares Int32, Double, Long and Decimal128 numerically, as MongoDB does.
 * Everything else is shared, not copied; views are read-only.
 */
export function toView(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(toView);
  if (isPlainObject(v)) {
    const out: Doc = {};
    for (const k of Object.keys(v)) out[k] = toView(v[k]);
    return out;
  }
  switch (bsonTag(v)) {
    case 'Int32': case 'Double': case 'Long': case 'Decimal128': return toNumber(v);
    default: return v;
  }
}

/** A deep copy of a stored value; bson class instances are immutable and shared. */
export function cloneValue<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(cloneValue) as T;
  if (v instanceof Date) return new Date(v.getTime()) as T;
  if (isPlainObject(v)) {
    const out: Doc = {};
    for (const k of Object.keys(v)) out[k] = cloneValue(v[k]);
    return out as T;
  }
  return v;
}

/** Converts a mingo result value back to typed BSON (integers become Int32 or Long). */
export function fromView(v: unknown): unknown {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) return new Int32(v);
    return new Double(v);
  }
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(fromView);
  if (isPlainObject(v)) {
    const out: Doc = {};
    for (const k of Object.keys(v)) out[k] = fromView(v[k]);
    return out;
  }
  return v;
}

/** Formats a value the way MongoDB prints keys in error messages: `{ a: "x", b: 1 }`. */
export function formatValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[ ${v.map(formatValue).join(', ')} ]`;
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (v instanceof RegExp) return String(v);
  if (v instanceof ObjectId) return `ObjectId('${v.toHexString()}')`;
  if (v instanceof Int32) return String(v.value);
  if (v instanceof Double) {
    return Number.isInteger(v.value) ? `${v.value}.0` : String(v.value);
  }
  if (v instanceof Timestamp) return `Timestamp(${v.t}, ${v.i})`;
  if (v instanceof Long) return String(v.toString());
  if (v instanceof Decimal128) return `NumberDecimal("${v.toString()}")`;
  if (v instanceof Binary) return `BinData(${v.sub_type}, ${Buffer.from(v.buffer.subarray(0, v.position)).toString('hex').toUpperCase()})`;
  if (isPlainObject(v)) {
    const parts = Object.keys(v).map((k) => `${k}: ${formatValue(v[k])}`);
    return parts.length ? `{ ${parts.join(', ')} }` : '{}';
  }
  return String(v);
}
