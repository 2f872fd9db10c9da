import { isNumeric, isPlainObject, toNumber, type Doc } from './bson-order.js';
import { getPath } from './document-paths.js';
import { EARTH_RADIUS_M, queryPoint, storedPoints, withinRegion, type LngLat, type Region } from './geo-geometry.js';
import { MongoServerError } from './mongo-error.js';
import type { StoredRecord } from './query-matcher.js';

/** A `$near`/`$nearSphere` clause; distances in meters (legacy pairs take radians, converted). */
export interface NearClause {
  field: string;
  center: LngLat;
  minMeters: number;
  maxMeters: number;
  /** The query point was a legacy pair: distances are reported in radians. */
  legacy: boolean;
}

/** A `$geoWithin` clause. */
export interface WithinClause {
  field: string;
  region: Region;
}

/** A filter's geo clauses, taken out of it: the rest goes to the planner and mingo. */
export interface GeoFilter {
  near?: NearClause;
  within: WithinClause[];
  rest: Doc;
}

const GEO_OPS = new Set(['$near', '$nearSphere', '$geoWithin', '$within', '$maxDistance', '$minDistance', '$geoIntersects']);

function distanceArg(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!isNumeric(v) || !(toNumber(v) >= 0)) throw new MongoServerError('BadValue', `${name} must be a non-negative number`);
  return toNumber(v);
}

function parseNear(field: string, op: string, cond: Doc): NearClause {
  const arg = cond[op];
  let pointArg: unknown = arg;
  let min = distanceArg(cond.$minDistance, '$minDistance');
  let max = distanceArg(cond.$maxDistance, '$maxDistance');
  if (isPlainObject(arg) && '$geometry' in arg) {
    pointArg = arg.$geometry;
    min = distanceArg(arg.$minDistance, '$minDistance') ?? min;
    max = distanceArg(arg.$maxDistance, '$maxDistance') ?? max;
  }
  const { point, legacy } = queryPoint(pointArg, op);
  const scale = legacy ? EARTH_RADIUS_M : 1;
  return { field, center: point, minMeters: (min ?? 0) * scale, maxMeters: max === undefined ? Infinity : max * scale, legacy };
}

/** Splits `$near`, `$nearSphere` and `$geoWithin` out of a filter's top level (and top-level `$and`). */
export function splitGeo(filter: Doc): GeoFilter {
  const out: GeoFilter = { within: [], rest: {} };
  const visit = (f: Doc, into: Doc): void => {
    for (const [key, cond] of Object.entries(f)) {
      if (key === '$and' && Array.isArray(cond)) {
        const kept = cond.filter(isPlainObject).map((sub) => {
          const r: Doc = {};
          visit(sub, r);
          return r;
        }).filter((r) => Object.keys(r).length > 0);
        if (kept.length) into.$and = kept;
        continue;
      }
      if (key.startsWith('$') || !isPlainObject(cond) || !Object.keys(cond).some((k) => GEO_OPS.has(k))) {
        into[key] = cond;
        continue;
      }
      const others: Doc = {};
      for (const [op, arg] of Object.entries(cond)) {
        if (op === '$near' || op === '$nearSphere') {
          if (out.near) throw new MongoServerError('BadValue', 'Too many geoNear expressions');
          out.near = parseNear(key, op, cond);
        } else if (op === '$geoWithin' || op === '$within') {
          out.within.push({ field: key, region: withinRegion(arg) });
        } else if (op === '$geoIntersects') {
          throw new MongoServerError('NotImplemented', '$geoIntersects is not supported by the embedded server');
        } else if (op !== '$maxDistance' && op !== '$minDistance') {
          others[op] = arg;
        }
      }
      if (Object.keys(others).length) into[key] = others;
    }
  };
  visit(filter, out.rest);
  return out;
}

/** True when the filter has a `$near`/`$nearSphere` anywhere (refused where MongoDB refuses it). */
export function hasNear(filter: unknown): boolean {
  if (Array.isArray(filter)) return filter.some(hasNear);
  if (!isPlainObject(filter)) return false;
  return Object.entries(filter).some(([k, v]) => k === '$near' || k === '$nearSphere' || hasNear(v));
}

/** Tests a record against `$geoWithin` clauses (a record with an invalid geometry does not match). */
export function withinTest(clauses: WithinClause[]): ((record: StoredRecord) => boolean) | undefined {
  if (clauses.length === 0) return undefined;
  return (record) => clauses.every(({ field, region }) => {
    try {
      return storedPoints(getPath(record.doc, field), field).some((p) => region.contains(p));
    } catch {
      return false;
    }
  });
}

/** A parsed `$geoNear` stage: the query it runs and how it decorates each document. */
export interface GeoNearStage {
  filter: Doc;
  distanceField: string;
  includeLocs?: string;
  key: string;
  /** Meters to the reported unit (radians for a legacy pair) times distanceMultiplier. */
  factor: number;
}

const GEO_NEAR_FIELDS = new Set(['near', 'distanceField', 'spherical', 'maxDistance', 'minDistance', 'query', 'key', 'distanceMultiplier', 'includeLocs', 'num', 'limit']);

/**
 * Parses `$geoNear` as the manual specifies it. `key` names the indexed field; without it the
 * collection must have exactly one 2dsphere index. GeoJSON `near` takes meters; a legacy pair
 * is treated as spherical, with distances in radians.
 */
export function parseGeoNear(spec: unknown, geoFields: string[], ns: string): GeoNearStage {
  if (!isPlainObject(spec)) throw new MongoServerError('BadValue', '$geoNear argument must be an object');
  for (const k of Object.keys(spec)) if (!GEO_NEAR_FIELDS.has(k)) throw new MongoServerError('BadValue', `Unknown argument to $geoNear: ${k}`);
  if (spec.near === undefined) throw new MongoServerError('BadValue', '$geoNear requires a \'near\' option as an Array');
  if (typeof spec.distanceField !== 'string' || spec.distanceField === '') throw new MongoServerError('BadValue', "$geoNear requires a 'distanceField' option as a String");
  if (spec.includeLocs !== undefined && typeof spec.includeLocs !== 'string') throw new MongoServerError('BadValue', 'includeLocs must be a string');
  if (spec.query !== undefined && !isPlainObject(spec.query)) throw new MongoServerError('BadValue', 'query must be an object');
  let key: string;
  if (spec.key !== undefined) {
    if (typeof spec.key !== 'string' || spec.key === '') throw new MongoServerError('BadValue', '$geoNear parameter \'key\' must be of type string');
    if (!geoFields.includes(spec.key)) throw new MongoServerError('NoQueryExecutionPlans', `error processing query: ns=${ns} planner returned error :: caused by :: unable to find index for $geoNear query`);
    key = spec.key;
  } else if (geoFields.length === 1) {
    key = geoFields[0] as string;
  } else if (geoFields.length === 0) {
    throw new MongoServerError('IndexNotFound', '$geoNear requires a 2d or 2dsphere index, but none were found');
  } else {
    throw new MongoServerError('IndexNotFound', `There is more than one 2dsphere index on ${ns}; unsure which to use for $geoNear`);
  }
  const { point, legacy } = queryPoint(spec.near, '$geoNear');
  const min = distanceArg(spec.minDistance, 'minDistance');
  const max = distanceArg(spec.maxDistance, 'maxDistance');
  const multiplier = spec.distanceMultiplier === undefined ? 1 : distanceArg(spec.distanceMultiplier, 'distanceMultiplier') ?? 1;
  const near: Doc = legacy ? { $nearSphere: [point[0], point[1]] } : { $nearSphere: { $geometry: { type: 'Point', coordinates: [point[0], point[1]] } } };
  if (min !== undefined) near.$minDistance = min;
  if (max !== undefined) near.$maxDistance = max;
  const filter: Doc = spec.query && Object.keys(spec.query).length ? { $and: [spec.query, { [key]: near }] } : { [key]: near };
  return { filter, distanceField: spec.distanceField, includeLocs: spec.includeLocs as string | undefined, key, factor: (legacy ? 1 / EARTH_RADIUS_M : 1) * multiplier };
}
