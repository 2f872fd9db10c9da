import { isNumeric, isPlainObject, toNumber, type Doc } from './bson-order.js';
import { badValue, MongoServerError } from './mongo-error.js';

/** An index as declared by createIndexes and reported by listIndexes. */
export interface IndexSpec {
  v: number;
  key: Record<string, unknown>;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
  expireAfterSeconds?: number;
  weights?: Record<string, number>;
  default_language?: string;
  language_override?: string;
  textIndexVersion?: number;
  '2dsphereIndexVersion'?: number;
}

const OPTION_KEYS = new Set([
  'key', 'name', 'unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds', 'weights',
  'default_language', 'language_override', 'textIndexVersion', '2dsphereIndexVersion', 'v', 'background', 'ns', 'collation', 'hidden',
]);

/** True for a `2dsphere` index spec (one geo field, possibly with ascending fields after it). */
export function isGeoSpec(key: Record<string, unknown>): boolean {
  return Object.values(key).some((d) => d === '2dsphere');
}

/** True for a text index spec (as declared, `{f: "text"}`, or as stored, `{_fts: "text"}`). */
export function isTextSpec(key: Record<string, unknown>): boolean {
  return Object.values(key).some((d) => d === 'text');
}

/** The name MongoDB gives an index by default: `a_1_b_-1`. */
export function defaultIndexName(key: Record<string, unknown>): string {
  return Object.entries(key).map(([f, d]) => `${f}_${isNumeric(d) ? toNumber(d) : String(d)}`).join('_');
}

/**
 * Validates a createIndexes entry and returns it in the form listIndexes reports.
 * Text indexes are stored as `{_fts: "text", _ftsx: 1}` with `weights`, as MongoDB does.
 */
export function normalizeIndexSpec(raw: Doc): IndexSpec {
  const key = raw.key;
  if (!isPlainObject(key) || Object.keys(key).length === 0) throw badValue('Index key pattern must be a non-empty object');
  for (const k of Object.keys(raw)) {
    if (!OPTION_KEYS.has(k)) {
      throw new MongoServerError('InvalidIndexSpecificationOption', `The field '${k}' is not valid for an index specification. Specification: ${JSON.stringify(raw)}`);
    }
  }
  const spec: IndexSpec = { v: 2, key: {}, name: typeof raw.name === 'string' ? raw.name : defaultIndexName(key) };
  if (isTextSpec(key)) {
    const weights: Record<string, number> = {};
    const userWeights = isPlainObject(raw.weights) ? raw.weights : {};
    for (const [f, d] of Object.entries(key)) {
      if (d === 'text') weights[f] = isNumeric(userWeights[f]) ? toNumber(userWeights[f]) : 1;
      else if (!isNumeric(d)) throw badValue(`Unsupported index type '${String(d)}'`);
    }
    for (const [f, w] of Object.entries(userWeights)) weights[f] ??= toNumber(w);
    spec.key = { _fts: 'text', _ftsx: 1 };
    spec.weights = weights;
    spec.default_language = typeof raw.default_language === 'string' ? raw.default_language : 'english';
    spec.language_override = typeof raw.language_override === 'string' ? raw.language_override : 'language';
    spec.textIndexVersion = 3;
  } else {
    for (const [f, d] of Object.entries(key)) {
      if (d === '2dsphere') {
        if (Object.values(spec.key).includes('2dsphere')) throw new MongoServerError('CannotCreateIndex', 'the embedded server supports one 2dsphere field per index');
        if (raw.unique === true) throw new MongoServerError('CannotCreateIndex', 'a 2dsphere index cannot be unique on the embedded server');
        spec.key[f] = d;
        spec['2dsphereIndexVersion'] = 3;
        continue;
      }
      if (d === '2d' || d === 'geoHaystack') throw new MongoServerError('CannotCreateIndex', `'${d}' indexes are not supported by the embedded server; use 2dsphere`);
      if (d === 'hashed') {
        // A hashed field is kept in the B-tree by value: it serves equality and $in only, as a hashed index does.
        if (Object.values(spec.key).includes('hashed')) throw new MongoServerError('CannotCreateIndex', 'A maximum of one index field is allowed to be hashed');
        if (raw.unique === true) throw new MongoServerError('CannotCreateIndex', 'Currently hashed indexes cannot guarantee uniqueness. Use a regular index.');
        spec.key[f] = d;
        continue;
      }
      if (!isNumeric(d) || toNumber(d) === 0) {
        throw new MongoServerError('CannotCreateIndex', `Values in the index key pattern must be non-zero numbers, "text", "2dsphere" or "hashed"; got ${f}: ${String(d)}`);
      }
      spec.key[f] = d;
    }
  }
  if (raw.unique === true) spec.unique = true;
  if (raw.sparse === true) spec.sparse = true;
  if (raw.partialFilterExpression !== undefined) {
    if (!isPlainObject(raw.partialFilterExpression)) throw badValue('partialFilterExpression must be an object');
    if (spec.sparse) throw badValue('cannot mix "partialFilterExpression" and "sparse" options');
    spec.partialFilterExpression = raw.partialFilterExpression;
  }
  if (raw.expireAfterSeconds !== undefined) {
    if (!isNumeric(raw.expireAfterSeconds) || toNumber(raw.expireAfterSeconds) < 0) {
      throw new MongoServerError('CannotCreateIndex', 'TTL index \'expireAfterSeconds\' option must be a non-negative number');
    }
    if (Object.keys(key).length !== 1) {
      throw new MongoServerError('CannotCreateIndex', 'TTL indexes are single-field indexes, compound indexes do not support TTL');
    }
    spec.expireAfterSeconds = toNumber(raw.expireAfterSeconds);
  }
  return spec;
}

/** True when two specs describe the same index options (createIndexes is then a no-op). */
export function sameIndexOptions(a: IndexSpec, b: IndexSpec): boolean {
  const pick = (s: IndexSpec): string => JSON.stringify([!!s.unique, !!s.sparse, s.partialFilterExpression ?? null, s.expireAfterSeconds ?? null, s.weights ?? null]);
  return pick(a) === pick(b);
}

/** True when two key patterns are the same fields with the same directions, in order. */
export function sameKeyPattern(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && String(toNumber(a[k]) || a[k]) === String(toNumber(b[k]) || b[k]));
}
