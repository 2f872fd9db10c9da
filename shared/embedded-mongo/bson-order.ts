import { Decimal128, Double, Int32, Long } from 'bson';

/** A value as bson deserializes it with `promoteValues: false` (wrappers for numbers). */
export type BsonValue = unknown;
/** A document as stored: a plain object of BSON values. */
export type Doc = Record<string, unknown>;

/**
 * Marks the first/last possible value of one canonical type; used as index scan bounds
 * so that a range such as `$gt: 5` stays within the numbers.
 */
export class TypeBound {
  constructor(readonly rank: number, readonly end: boolean) {}
}

/** Sentinels below/above every value in every index key position, direction-independent. */
export const LOWEST = Symbol('lowest');
export const HIGHEST = Symbol('highest');

/** The `_bsontype` tag of a bson class instance, or undefined for JS values. */
export function bsonTag(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  return (v as { _bsontype?: string })._bsontype;
}

export function isPlainObject(v: unknown): v is Doc {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** True for numeric BSON values: JS numbers and Int32/Double/Long/Decimal128 wrappers. */
export function isNumeric(v: unknown): boolean {
  if (typeof v === 'number' || typeof v === 'bigint') return true;
  const t = bsonTag(v);
  return t === 'Int32' || t === 'Double' || t === 'Long' || t === 'Decimal128';
}

/** A numeric BSON value as a JS number (large longs/decimals lose precision). */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Int32 || v instanceof Double) return v.value;
  if (v instanceof Long) return v.toNumber();
  if (v instanceof Decimal128) return Number(v.toString());
  return NaN;
}

/**
 * MongoDB's canonical type order for comparisons across types:
 * MinKey < null < numbers < string < object < array < binData < ObjectId < bool < Date
 * < Timestamp < regex < code < MaxKey.
 */
export function typeRank(v: unknown): number {
  if (v === undefined || v === null) return 2;
  switch (typeof v) {
    case 'number': case 'bigint': return 3;
    case 'string': return 4;
    case 'boolean': return 9;
    case 'object': break;
    default: return 4;
  }
  if (Array.isArray(v)) return 6;
  if (v instanceof Date) return 10;
  if (v instanceof RegExp) return 12;
  if (v instanceof TypeBound) return v.rank;
  if (v instanceof Uint8Array) return 7;
  switch (bsonTag(v)) {
    case undefined: return 5;
    case 'MinKey': return 1;
    case 'Int32': case 'Double': case 'Long': case 'Decimal128': return 3;
    case 'BSONSymbol': return 4;
    case 'Binary': return 7;
    case 'ObjectId': return 8;
    case 'Timestamp': return 11;
    case 'BSONRegExp': return 12;
    case 'Code': return 13;
    case 'MaxKey': return 14;
    default: return 5; // DBRef and other document-like values
  }
}

const cmp = (a: number | string | bigint, b: number | string | bigint): number => (a < b ? -1 : a > b ? 1 : 0);

function compareNumbers(a: unknown, b: unknown): number {
  if (a instanceof Long && b instanceof Long) return a.compare(b);
  const x = toNumber(a);
  const y = toNumber(b);
  // MongoDB orders NaN below every other number and equal to itself.
  if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1;
  if (Number.isNaN(y)) return 1;
  return cmp(x, y);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number) < 0 ? -1 : 1;
  return cmp(a.length, b.length);
}

function binaryBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  const b = v as { buffer: Uint8Array; position: number };
  return b.buffer.subarray(0, b.position);
}

function compareDocs(a: Doc, b: Doc): number {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const va = a[ka[i] as string];
    const vb = b[kb[i] as string];
    const r = cmp(typeRank(va), typeRank(vb)) || cmp(ka[i] as string, kb[i] as string) || compareBson(va, vb);
    if (r) return r;
  }
  return cmp(ka.length, kb.length);
}

/** Compares two BSON values in MongoDB's order (simple binary collation for strings). */
export function compareBson(a: unknown, b: unknown): number {
  // Index keys are mostly strings, int32s and dates: compare those without ranking their types.
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof Int32 && b instanceof Int32) return cmp(a.value, b.value);
  if (a instanceof Date && b instanceof Date) return cmp(a.getTime(), b.getTime());
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (a instanceof TypeBound || b instanceof TypeBound) {
    const ea = a instanceof TypeBound ? (a.end ? 1 : -1) : 0;
    const eb = b instanceof TypeBound ? (b.end ? 1 : -1) : 0;
    return cmp(ea, eb);
  }
  switch (ra) {
    case 1: case 2: case 14: return 0;
    case 3: return compareNumbers(a, b);
    case 4: return cmp(String(a), String(b));
    case 5: return compareDocs(a as Doc, b as Doc);
    case 6: {
      const x = a as unknown[];
      const y = b as unknown[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const r = compareBson(x[i], y[i]);
        if (r) return r;
      }
      return cmp(x.length, y.length);
    }
    case 7: {
      const x = binaryBytes(a);
      const y = binaryBytes(b);
      const sa = (a as { sub_type?: number }).sub_type ?? 0;
      const sb = (b as { sub_type?: number }).sub_type ?? 0;
      return cmp(x.length, y.length) || cmp(sa, sb) || compareBytes(x, y);
    }
    case 8: return compareBytes((a as { id: Uint8Array }).id, (b as { id: Uint8Array }).id);
    case 9: return cmp(Number(a), Number(b));
    case 10: return cmp((a as Date).getTime(), (b as Date).getTime());
    case 11: {
      const x = a as { t: number; i: number };
      const y = b as { t: number; i: number };
      return cmp(x.t, y.t) || cmp(x.i, y.i);
    }
    case 12: {
      const [pa, fa] = regexParts(a);
      const [pb, fb] = regexParts(b);
      return cmp(pa, pb) || cmp(fa, fb);
    }
    default: return cmp(String(a), String(b));
  }
}

function regexParts(v: unknown): [string, string] {
  if (v instanceof RegExp) return [v.source, v.flags];
  const r = v as { pattern: string; options: string };
  return [r.pattern, r.options];
}

/** True when two values are the same BSON value of the same BSON type (1 and 1.0 differ). */
export function identical(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => identical(v, b[i]));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && identical(a[k], b[k]));
  }
  return bsonTag(a) === bsonTag(b) && typeof a === typeof b && compareBson(a, b) === 0;
}
