import { isNumeric, isPlainObject, toNumber, type Doc } from './bson-order.js';
import { MongoServerError } from './mongo-error.js';

/** MongoDB's earth radius for spherical distances, in meters. */
export const EARTH_RADIUS_M = 6378100;

/** A longitude/latitude pair in degrees. */
export type LngLat = readonly [number, number];

/** A longitude/latitude box: [minLng, minLat, maxLng, maxLat]. */
export type Box = readonly [number, number, number, number];

const RAD = Math.PI / 180;

/** Great-circle distance in meters (haversine), on MongoDB's sphere. */
export function haversine(a: LngLat, b: LngLat): number {
  const dLat = (b[1] - a[1]) * RAD;
  const dLng = (b[0] - a[0]) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * RAD) * Math.cos(b[1] * RAD) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Boxes covering every point within `meters` of `center` (a spherical cap): one box, two when
 * it crosses the antimeridian, the whole longitude range when it holds a pole.
 */
export function capBoxes(center: LngLat, meters: number): Box[] {
  const delta = meters / EARTH_RADIUS_M;
  if (delta >= Math.PI) return [[-180, -90, 180, 90]];
  const [lng, lat] = center;
  const minLat = lat - delta / RAD;
  const maxLat = lat + delta / RAD;
  const cosLat = Math.cos(lat * RAD);
  if (minLat <= -90 || maxLat >= 90 || Math.sin(delta) >= cosLat) return [[-180, Math.max(-90, minLat), 180, Math.min(90, maxLat)]];
  const dLng = Math.asin(Math.sin(delta) / cosLat) / RAD;
  const lo = lng - dLng;
  const hi = lng + dLng;
  if (lo < -180) return [[lo + 360, minLat, 180, maxLat], [-180, minLat, hi, maxLat]];
  if (hi > 180) return [[lo, minLat, 180, maxLat], [-180, minLat, hi - 360, maxLat]];
  return [[lo, minLat, hi, maxLat]];
}

function geoError(message: string): MongoServerError {
  return new MongoServerError('Location16755', message);
}

function coordinatePair(v: unknown): LngLat | undefined {
  if (Array.isArray(v) && v.length >= 2 && isNumeric(v[0]) && isNumeric(v[1])) return [toNumber(v[0]), toNumber(v[1])];
  if (isPlainObject(v) && !('type' in v)) {
    const vals = Object.values(v);
    if (vals.length >= 2 && isNumeric(vals[0]) && isNumeric(vals[1])) return [toNumber(vals[0]), toNumber(vals[1])];
  }
  return undefined;
}

function checkRange(p: LngLat, what: string): LngLat {
  if (!(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90)) {
    throw geoError(`${what}: longitude/latitude is out of bounds, lng: ${p[0]} lat: ${p[1]}`);
  }
  return p;
}

/**
 * The points a stored field value holds for a 2dsphere index: a GeoJSON Point, a legacy
 * coordinate pair (`[lng, lat]` or `{lng, lat}`), or an array of them. Missing or null: none.
 * Other GeoJSON types are refused (the embedded server indexes points only).
 */
export function storedPoints(value: unknown, indexName: string): LngLat[] {
  if (value === undefined || value === null) return [];
  const one = (v: unknown): LngLat => {
    if (isPlainObject(v) && 'type' in v) {
      if (v.type !== 'Point') throw geoError(`Can't extract geo keys: the embedded server's 2dsphere index ${indexName} holds GeoJSON Points only, got ${String(v.type)}`);
      const p = coordinatePair(v.coordinates);
      if (!p || !Array.isArray(v.coordinates) || v.coordinates.length !== 2) throw geoError(`Can't extract geo keys: Point must only contain numeric elements`);
      return checkRange(p, "Can't extract geo keys");
    }
    const p = coordinatePair(v);
    if (!p) throw geoError(`Can't extract geo keys: unknown GeoJSON type: ${JSON.stringify(v)}`);
    return checkRange(p, "Can't extract geo keys");
  };
  if (Array.isArray(value) && !coordinatePair(value)) return value.map(one);
  return [one(value)];
}

/** A query point: a GeoJSON Point (distances in meters) or a legacy pair (distances in radians). */
export function queryPoint(v: unknown, op: string): { point: LngLat; legacy: boolean } {
  if (isPlainObject(v) && v.type === 'Point') {
    const p = coordinatePair(v.coordinates);
    if (!p) throw new MongoServerError('BadValue', `invalid point in ${op}: coordinates must be two numbers`);
    return { point: checkRange(p, `invalid point in ${op}`), legacy: false };
  }
  const p = coordinatePair(v);
  if (!p) throw new MongoServerError('BadValue', `${op} requires a GeoJSON point or a legacy coordinate pair`);
  return { point: checkRange(p, `invalid point in ${op}`), legacy: true };
}

/** A region for `$geoWithin`: the boxes that cover it and an exact containment test. */
export interface Region {
  boxes: Box[];
  contains(p: LngLat): boolean;
}

/** Ray casting in longitude/latitude: edges are straight lines in those coordinates. */
function inRing(p: LngLat, ring: LngLat[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as LngLat;
    const [xj, yj] = ring[j] as LngLat;
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function onRingEdge(p: LngLat, ring: LngLat[]): boolean {
  return ring.some((a, i) => {
    const b = ring[(i + 1) % ring.length] as LngLat;
    const cross = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
    return Math.abs(cross) < 1e-12 && p[0] >= Math.min(a[0], b[0]) && p[0] <= Math.max(a[0], b[0]) && p[1] >= Math.min(a[1], b[1]) && p[1] <= Math.max(a[1], b[1]);
  });
}

function polygonRegion(polygons: unknown[]): Region {
  const parsed = polygons.map((rings) => {
    if (!Array.isArray(rings) || rings.length === 0) throw new MongoServerError('BadValue', 'Polygon coordinates must be an array of linear rings');
    return rings.map((ring) => {
      if (!Array.isArray(ring) || ring.length < 4) throw new MongoServerError('BadValue', 'Loop must have at least 4 vertices');
      const pts = ring.map((c) => {
        const p = coordinatePair(c);
        if (!p) throw new MongoServerError('BadValue', 'Polygon vertices must be [lng, lat] pairs');
        return checkRange(p, 'invalid Polygon');
      });
      const first = pts[0] as LngLat;
      const last = pts[pts.length - 1] as LngLat;
      if (first[0] !== last[0] || first[1] !== last[1]) throw new MongoServerError('BadValue', 'Loop is not closed, first vertex does not equal last vertex');
      return pts;
    });
  });
  const boxes = parsed.map(([outer]) => {
    const xs = (outer as LngLat[]).map((p) => p[0]);
    const ys = (outer as LngLat[]).map((p) => p[1]);
    return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] as Box;
  });
  return {
    boxes,
    contains: (p) => parsed.some(([outer, ...holes]) => (inRing(p, outer as LngLat[]) || onRingEdge(p, outer as LngLat[])) && !holes.some((h) => inRing(p, h) && !onRingEdge(p, h))),
  };
}

/** Parses a `$geoWithin` argument: `$centerSphere`, `$geometry` (Polygon, MultiPolygon) or `$box`. */
export function withinRegion(arg: unknown): Region {
  if (!isPlainObject(arg)) throw new MongoServerError('BadValue', '$geoWithin requires a shape');
  const shape = Object.keys(arg)[0];
  const value = (arg as Doc)[shape ?? ''];
  if (shape === '$centerSphere') {
    const center = Array.isArray(value) ? coordinatePair(value[0]) : undefined;
    const radius = Array.isArray(value) && isNumeric(value[1]) ? toNumber(value[1]) : NaN;
    if (!center || !(radius >= 0)) throw new MongoServerError('BadValue', '$centerSphere takes [[lng, lat], radius in radians]');
    const meters = radius * EARTH_RADIUS_M;
    checkRange(center, 'invalid $centerSphere');
    return { boxes: capBoxes(center, meters), contains: (p) => haversine(center, p) <= meters };
  }
  if (shape === '$box') {
    const lo = Array.isArray(value) ? coordinatePair(value[0]) : undefined;
    const hi = Array.isArray(value) ? coordinatePair(value[1]) : undefined;
    if (!lo || !hi) throw new MongoServerError('BadValue', '$box takes [[bottom-left], [top-right]]');
    const box: Box = [Math.min(lo[0], hi[0]), Math.min(lo[1], hi[1]), Math.max(lo[0], hi[0]), Math.max(lo[1], hi[1])];
    return { boxes: [box], contains: (p) => p[0] >= box[0] && p[0] <= box[2] && p[1] >= box[1] && p[1] <= box[3] };
  }
  if (shape === '$geometry' && isPlainObject(value)) {
    if (value.type === 'Polygon') return polygonRegion([value.coordinates]);
    if (value.type === 'MultiPolygon' && Array.isArray(value.coordinates)) return polygonRegion(value.coordinates);
    throw new MongoServerError('BadValue', `$geoWithin with $geometry takes a Polygon or MultiPolygon, got ${String(value.type)}`);
  }
  throw new MongoServerError('NotImplemented', `$geoWithin ${String(shape)} is not supported by the embedded server ($centerSphere, $geometry Polygon/MultiPolygon and $box are)`);
}
