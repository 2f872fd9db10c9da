import RBush from 'rbush';
import type { Doc } from './bson-order.js';
import { getPath } from './document-paths.js';
import { capBoxes, EARTH_RADIUS_M, haversine, storedPoints, type Box, type LngLat } from './geo-geometry.js';
import type { IndexSpec } from './index-spec.js';

interface Entry {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  id: number;
  point: LngLat;
}

/** The first search radius of a `$near` scan; it doubles until enough is found or the limit is reached. */
const FIRST_RADIUS_M = 250;

/**
 * A `2dsphere` index over one field's points, kept in an R-tree (rbush) of
 * longitude/latitude: `$near` scans rings of doubling radius in distance order, `$geoWithin`
 * takes the entries in the region's covering boxes. Documents without the field are skipped.
 */
export class GeoIndex {
  readonly field: string;
  private readonly tree = new RBush<Entry>(16);
  private readonly byRecord = new Map<number, Entry[]>();

  constructor(readonly spec: IndexSpec) {
    this.field = Object.keys(spec.key).find((k) => spec.key[k] === '2dsphere') as string;
  }

  get name(): string {
    return this.spec.name;
  }

  /** The points of a document (validated: an invalid geometry refuses the write). */
  pointsOf(doc: Doc): LngLat[] {
    return storedPoints(getPath(doc, this.field), this.name);
  }

  /** Replaces a record's points (none to remove it). */
  set(recordId: number, points: LngLat[]): void {
    const old = this.byRecord.get(recordId);
    if (old) for (const e of old) this.tree.remove(e);
    if (points.length === 0) {
      this.byRecord.delete(recordId);
      return;
    }
    const entries = points.map((point) => ({ minX: point[0], minY: point[1], maxX: point[0], maxY: point[1], id: recordId, point }));
    for (const e of entries) this.tree.insert(e);
    this.byRecord.set(recordId, entries);
  }

  /** Builds an empty index from many records at once (rbush's bulk load, much faster than inserts). */
  load(records: Iterable<readonly [number, LngLat[]]>): void {
    const all: Entry[] = [];
    for (const [id, points] of records) {
      if (points.length === 0) continue;
      const entries = points.map((point) => ({ minX: point[0], minY: point[1], maxX: point[0], maxY: point[1], id, point }));
      this.byRecord.set(id, entries);
      all.push(...entries);
    }
    this.tree.load(all);
  }

  /** True when the record's points would not change. */
  samePoints(recordId: number, points: LngLat[]): boolean {
    const old = this.byRecord.get(recordId) ?? [];
    return old.length === points.length && old.every((e, i) => e.point[0] === points[i]?.[0] && e.point[1] === points[i]?.[1]);
  }

  private search(boxes: Box[]): Entry[] {
    const out: Entry[] = [];
    for (const [minX, minY, maxX, maxY] of boxes) out.push(...this.tree.search({ minX, minY, maxX, maxY }));
    return out;
  }

  /** Record ids with a point in one of the boxes (candidates for an exact test). */
  *within(boxes: Box[]): Generator<number> {
    for (const e of this.search(boxes)) yield e.id;
  }

  /**
   * Records in increasing distance (meters) from `center`, each once at its nearest point,
   * within [min, max]. Lazy: a query with a limit stops after the first rings.
   */
  *near(center: LngLat, min: number, max: number, distances: Map<number, number>): Generator<number> {
    const world = Math.PI * EARTH_RADIUS_M;
    const seen = new Set<number>();
    let inner = -1;
    let radius = Math.min(max, Math.max(FIRST_RADIUS_M, min * 2));
    for (;;) {
      const ring: [number, number][] = [];
      const best = new Map<number, number>();
      for (const e of this.search(capBoxes(center, radius))) {
        if (seen.has(e.id)) continue;
        const d = haversine(center, e.point);
        const cur = best.get(e.id);
        if (cur === undefined || d < cur) best.set(e.id, d);
      }
      for (const [id, d] of best) if (d > inner && d <= radius) ring.push([id, d]);
      ring.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
      for (const [id, d] of ring) {
        seen.add(id);
        if (d < min) continue;
        distances.set(id, d);
        yield id;
      }
      if (radius >= max || radius >= world) return;
      inner = radius;
      radius = Math.min(max, radius * 2);
    }
  }

  get size(): number {
    return this.byRecord.size;
  }
}
