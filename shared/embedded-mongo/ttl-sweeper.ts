import { TypeBound } from './bson-order.js';
import type { DatabaseCatalog } from './database-catalog.js';
import { pathValues } from './document-paths.js';

/**
 * Removes expired documents from every TTL index, like MongoDB's TTL monitor: a document
 * expires when its indexed date (the earliest, for an array) plus expireAfterSeconds has passed.
 * Uses the index order, so a sweep only visits documents that are due.
 */
export function sweepExpired(catalog: DatabaseCatalog, now = Date.now()): number {
  let removed = 0;
  for (const coll of catalog.allCollections()) {
    for (const index of coll.indexes.values()) {
      const ttl = index.spec.expireAfterSeconds;
      if (ttl === undefined) continue;
      const cutoff = new Date(now - ttl * 1000);
      const dir = index.directions[0] as number;
      const lo = [dir > 0 ? new TypeBound(10, false) : cutoff, -Infinity];
      const hi = [dir > 0 ? cutoff : new TypeBound(10, false), Infinity];
      const due = new Set(index.scan([{ lo, hi }]));
      for (const id of due) {
        const record = coll.records.get(id);
        if (!record) continue;
        const dates = pathValues(record.doc, index.fields[0] as string).values.filter((v): v is Date => v instanceof Date);
        const earliest = Math.min(...dates.map((d) => d.getTime()));
        if (dates.length && earliest < cutoff.getTime()) {
          coll.remove(record);
          removed++;
        }
      }
    }
  }
  return removed;
}
