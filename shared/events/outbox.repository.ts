import type { AnyBulkWriteOperation, Db, Document } from "mongodb";
import type pg from "pg";
import type { AnyOutboxEntry } from "./domain-events.js";
import { OUTBOX_FIELD } from "./outbox.schema.js";

/**
 * Where an outbox entry was written: a MongoDB document, named by a filter that
 * matches it alone and includes the collection's shard key; or the PostgreSQL
 * outbox table.
 */
export type OutboxRef = { collection: string; filter: Record<string, unknown> } | { table: "outbox_events" };

export interface StaleEntry {
  ref: OutboxRef;
  entry: AnyOutboxEntry;
}

/**
 * The outbox markers in the stores: clearing them once their events are
 * enqueued, and finding the ones a dead process left behind.
 */
export class OutboxRepository {
  constructor(
    private readonly db: Db,
    private readonly pool: pg.Pool,
  ) {}

  /** Removes dispatched entries: one bulk write per collection, one DELETE for the table. */
  async clear(items: ReadonlyArray<{ ref: OutboxRef; entryId: string }>): Promise<void> {
    const byCollection = new Map<string, AnyBulkWriteOperation<Document>[]>();
    const rowIds: string[] = [];
    for (const { ref, entryId } of items) {
      if ("table" in ref) {
        rowIds.push(entryId);
        continue;
      }
      const filter = { ...ref.filter, [`${OUTBOX_FIELD}.id`]: entryId } as Document;
      const ops = byCollection.get(ref.collection) ?? [];
      // The usual case (a single entry) drops the field; otherwise the entry is pulled.
      ops.push({ updateOne: { filter: { ...filter, [OUTBOX_FIELD]: { $size: 1 } }, update: { $unset: { [OUTBOX_FIELD]: "" } } } });
      ops.push({ updateOne: { filter, update: { $pull: { [OUTBOX_FIELD]: { id: entryId } } } as Document } });
      byCollection.set(ref.collection, ops);
    }
    await Promise.all([
      ...[...byCollection].map(([collection, ops]) => this.db.collection(collection).bulkWrite(ops, { ordered: true })),
      rowIds.length > 0 ? this.pool.query("DELETE FROM outbox_events WHERE id = ANY($1::uuid[])", [rowIds]) : undefined,
    ]);
  }

  /**
   * Entries older than `cutoff` in a collection. A deliberate scatter-gather on a
   * sharded cluster: the sweep runs every few seconds and reads an index that only
   * holds documents with pending events.
   */
  async staleInCollection(collection: string, shardKeyFields: readonly string[], cutoff: Date, limit: number): Promise<StaleEntry[]> {
    const projection: Document = { [OUTBOX_FIELD]: 1 };
    for (const field of shardKeyFields) projection[field] = 1;
    const docs = await this.db
      .collection(collection)
      .find({ [`${OUTBOX_FIELD}.at`]: { $lt: cutoff } }, { projection, limit, comment: "scatter-gather:outbox-sweep" })
      .toArray();
    return docs.flatMap((doc) => {
      const filter = { _id: doc._id, ...Object.fromEntries(shardKeyFields.map((field) => [field, doc[field]])) };
      const entries = (doc[OUTBOX_FIELD] ?? []) as AnyOutboxEntry[];
      return entries.filter((entry) => entry.at < cutoff).map((entry) => ({ ref: { collection, filter }, entry }));
    });
  }

  /** Rows of the PostgreSQL outbox older than `cutoff`. */
  async staleInTable(cutoff: Date, limit: number): Promise<StaleEntry[]> {
    const { rows } = await this.pool.query<{ id: string; name: string; payload: Record<string, unknown>; created_at: Date }>(
      "SELECT id, name, payload, created_at FROM outbox_events WHERE created_at < $1 ORDER BY created_at LIMIT $2",
      [cutoff, limit],
    );
    return rows.map((row) => ({
      ref: { table: "outbox_events" as const },
      entry: { id: row.id, name: row.name, payload: row.payload, at: row.created_at } as unknown as AnyOutboxEntry,
    }));
  }
}

/** Something that runs SQL: the pool, or the client of an open transaction. */
export interface SqlRunner {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

/** Writes an entry into the PostgreSQL outbox; call it inside the transaction of the write it announces. */
export async function insertOutboxRow(tx: SqlRunner, entry: AnyOutboxEntry): Promise<void> {
  await tx.query("INSERT INTO outbox_events (id, name, payload, created_at) VALUES ($1, $2, $3, $4)", [entry.id, entry.name, JSON.stringify(entry.payload), entry.at]);
}
