import { compareBson, isPlainObject, type Doc } from './bson-order.js';

/** The values a dotted path reaches in a document, as an index would key them. */
export interface PathValues {
  /** One entry per reached value; a missing field yields `undefined` (indexed as null). */
  values: unknown[];
  /** True when an array was traversed or reached, i.e. the index becomes multikey. */
  multikey: boolean;
}

const isIndexPart = (p: string): boolean => /^\d+$/.test(p);

/**
 * Walks `path` through nested documents and arrays the way MongoDB's key generator does:
 * arrays on the way fan out over their elements, and a terminal array yields each element.
 */
export function pathValues(doc: unknown, path: string): PathValues {
  // The common case, a top-level field holding a scalar, without the walk's closure.
  if (!path.includes('.') && isPlainObject(doc)) {
    const value = doc[path];
    if (!Array.isArray(value)) return { values: [value], multikey: false };
  }
  const parts = path.split('.');
  const out: unknown[] = [];
  let multikey = false;
  const walk = (value: unknown, i: number): void => {
    if (i === parts.length) {
      if (Array.isArray(value)) {
        multikey = true;
        if (value.length === 0) out.push(undefined);
        else for (const el of value) out.push(el);
      } else {
        out.push(value);
      }
      return;
    }
    const part = parts[i] as string;
    if (Array.isArray(value)) {
      multikey = true;
      if (isIndexPart(part)) {
        walk(value[Number(part)], i + 1);
        return;
      }
      if (value.length === 0) out.push(undefined);
      for (const el of value) walk(isPlainObject(el) ? el : undefined, isPlainObject(el) ? i : parts.length);
      return;
    }
    if (isPlainObject(value)) {
      walk(value[part], i + 1);
      return;
    }
    out.push(undefined);
  };
  walk(doc, 0);
  return { values: dedupe(out), multikey };
}

function dedupe(values: unknown[]): unknown[] {
  if (values.length < 2) return values;
  const sorted = [...values].sort(compareBson);
  return sorted.filter((v, i) => i === 0 || compareBson(v, sorted[i - 1]) !== 0);
}

/** Plain dotted-path lookup without array fan-out (numeric parts index arrays). */
export function getPath(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (Array.isArray(cur) && isIndexPart(part)) cur = cur[Number(part)];
    else if (isPlainObject(cur)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

/** True when the path exists in the document (fanning out over arrays). */
export function hasPath(doc: Doc, path: string): boolean {
  return pathValues(doc, path).values.some((v) => v !== undefined);
}

/** The value MongoDB sorts a document by for one sort field: min of an array ascending, max descending. */
export function sortValue(doc: unknown, path: string, direction: number): unknown {
  const { values } = pathValues(doc, path);
  if (values.length === 1) return values[0] ?? null;
  const sorted = values.map((v) => v ?? null).sort(compareBson);
  return direction < 0 ? sorted[sorted.length - 1] : sorted[0];
}
