import { compareBson, isPlainObject, typeRank, TypeBound, type Doc } from './bson-order.js';

/** An inclusive interval of BSON values on one field. */
export interface Interval {
  lo: unknown;
  hi: unknown;
}

const MIN_ALL = new TypeBound(0, false);
const MAX_ALL = new TypeBound(15, true);
/** Every value, missing included: what an indexable but unbounded predicate scans. */
export const FULL: Interval[] = [{ lo: MIN_ALL, hi: MAX_ALL }];

const point = (v: unknown): Interval[] => [{ lo: v, hi: v }];

/** True when the intervals are single values (equality), so a later field can narrow too. */
export function isPoints(intervals: Interval[]): boolean {
  return intervals.every((i) => compareBson(i.lo, i.hi) === 0);
}

/** True when any interval admits null, i.e. documents missing the field. */
export function admitsNull(intervals: Interval[]): boolean {
  return intervals.some((i) => compareBson(i.lo, null) <= 0 && compareBson(i.hi, null) >= 0);
}

function regexIntervals(re: RegExp | { pattern: string; options: string }): Interval[] {
  const source = re instanceof RegExp ? re.source : re.pattern;
  const flags = re instanceof RegExp ? re.flags : re.options;
  const m = /^\^((?:[^\\^$.|?*+()[\]{}]|\\[^a-zA-Z0-9])*)/.exec(source);
  const prefix = m?.[1]?.replace(/\\(.)/g, '$1') ?? '';
  if (prefix && !flags.includes('i') && !flags.includes('m') && !/[?*{]/.test(source.charAt((m?.[0].length ?? 0)))) {
    return [{ lo: prefix, hi: `${prefix}\uffff` }];
  }
  return [{ lo: new TypeBound(4, false), hi: new TypeBound(4, true) }, { lo: re, hi: re }];
}

function equalityIntervals(v: unknown): Interval[] {
  if (v instanceof RegExp || (isPlainObject(v) === false && (v as { _bsontype?: string })?._bsontype === 'BSONRegExp')) {
    return regexIntervals(v as RegExp);
  }
  if (Array.isArray(v)) return union([...(v.length ? point(v[0]) : point(null)), ...point(v)]);
  return point(v === undefined ? null : v);
}

/** Intervals for one operator of a field condition, or undefined when it cannot use an index. */
function operatorIntervals(op: string, arg: unknown, cond: Doc): Interval[] | undefined {
  switch (op) {
    case '$eq': return equalityIntervals(arg);
    case '$in':
      return Array.isArray(arg) ? union(arg.flatMap(equalityIntervals)) : undefined;
    case '$gt': case '$gte': {
      if (arg === null) return point(null);
      return [{ lo: arg, hi: new TypeBound(typeRank(arg), true) }];
    }
    case '$lt': case '$lte': {
      if (arg === null) return point(null);
      return [{ lo: new TypeBound(typeRank(arg), false), hi: arg }];
    }
    case '$regex': {
      const options = typeof cond.$options === 'string' ? cond.$options : '';
      if (arg instanceof RegExp) return regexIntervals(options ? new RegExp(arg.source, options) : arg);
      return typeof arg === 'string' ? regexIntervals(new RegExp(arg, options.replace(/[^imsu]/g, ''))) : undefined;
    }
    case '$exists': return arg ? FULL : point(null);
    case '$all':
      return Array.isArray(arg) && arg.length > 0 && !isPlainObject(arg[0]) ? equalityIntervals(arg[0]) : FULL;
    case '$elemMatch': {
      if (!isPlainObject(arg) || !Object.keys(arg).every((k) => k.startsWith('$'))) return FULL;
      return conditionIntervals(arg, false) ?? FULL;
    }
    case '$options': case '$comment': return undefined;
    case '$where': case '$expr': return undefined;
    default: return FULL; // $ne, $nin, $not, $type, $mod, $size, $bits*: indexable, unbounded
  }
}

/**
 * The intervals one field's condition bounds an index scan to, or undefined when
 * the condition cannot use an index. On a multikey field the operators may be satisfied
 * by different elements, so bounds are not intersected there: the tightest one is used.
 */
export function conditionIntervals(cond: unknown, multikey: boolean): Interval[] | undefined {
  const isOps = isPlainObject(cond) && Object.keys(cond).length > 0 && Object.keys(cond).every((k) => k.startsWith('$'));
  if (!isOps) return equalityIntervals(cond);
  const parts = Object.entries(cond)
    .map(([op, arg]) => operatorIntervals(op, arg, cond))
    .filter((x): x is Interval[] => x !== undefined);
  if (parts.length === 0) return undefined;
  if (multikey) return parts.find(isPoints) ?? parts.find((p) => p !== FULL) ?? (parts[0] as Interval[]);
  return parts.reduce(intersect);
}

/** Conditions per field path drawn from a filter's top level, `$and` and `$elemMatch`. */
export function fieldConditions(filter: Doc, out = new Map<string, unknown[]>()): Map<string, unknown[]> {
  for (const [key, cond] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(cond)) {
      for (const sub of cond) if (isPlainObject(sub)) fieldConditions(sub, out);
      continue;
    }
    if (key.startsWith('$')) continue;
    const list = out.get(key) ?? [];
    list.push(cond);
    out.set(key, list);
    if (isPlainObject(cond) && isPlainObject(cond.$elemMatch)) {
      const inner = cond.$elemMatch;
      if (!Object.keys(inner).every((k) => k.startsWith('$'))) {
        const nested = fieldConditions(inner);
        for (const [k, v] of nested) out.set(`${key}.${k}`, [...(out.get(`${key}.${k}`) ?? []), ...v]);
      }
    }
  }
  return out;
}

/** Sorted, merged union of intervals. */
export function union(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => compareBson(a.lo, b.lo));
  const out: Interval[] = [];
  for (const iv of sorted) {
    const last = out[out.length - 1];
    if (last && compareBson(iv.lo, last.hi) <= 0) {
      if (compareBson(iv.hi, last.hi) > 0) last.hi = iv.hi;
    } else {
      out.push({ ...iv });
    }
  }
  return out;
}

/** Intersection of two interval lists. */
export function intersect(a: Interval[], b: Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const x of a) {
    for (const y of b) {
      const lo = compareBson(x.lo, y.lo) >= 0 ? x.lo : y.lo;
      const hi = compareBson(x.hi, y.hi) <= 0 ? x.hi : y.hi;
      if (compareBson(lo, hi) <= 0) out.push({ lo, hi });
    }
  }
  return union(out);
}
