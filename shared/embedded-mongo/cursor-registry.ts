import { BSON, Long } from 'bson';
import type { Doc } from './bson-order.js';
import { MongoServerError } from './mongo-error.js';

/** Default size of a cursor's first batch, as MongoDB uses. */
export const DEFAULT_FIRST_BATCH = 101;
/** A batch stops growing past this many bytes so replies stay under the message size limit. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;
/** Cursors idle this long are closed, like MongoDB's cursorTimeoutMillis. */
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;

interface OpenCursor {
  ns: string;
  docs: Doc[];
  pos: number;
  lastUsed: number;
}

/** The cursor document a find/aggregate/getMore reply carries. */
export interface CursorReply {
  id: Long;
  ns: string;
  firstBatch?: Doc[];
  nextBatch?: Doc[];
}

/**
 * Open cursors over materialised results. Results are the stored document versions at
 * query time (stored documents are never mutated), so a cursor reads a stable snapshot.
 */
export class CursorRegistry {
  private readonly cursors = new Map<bigint, OpenCursor>();
  private nextId = BigInt(Math.floor(Math.random() * 2 ** 40)) + 1n;

  /** Returns the first batch; keeps the rest under a new cursor id unless all fit or singleBatch. */
  open(ns: string, docs: Doc[], batchSize: number | undefined, singleBatch: boolean): CursorReply {
    const cursor: OpenCursor = { ns, docs, pos: 0, lastUsed: Date.now() };
    const firstBatch = takeBatch(cursor, batchSize ?? DEFAULT_FIRST_BATCH);
    if (singleBatch || cursor.pos >= docs.length) return { id: Long.ZERO, ns, firstBatch };
    const id = this.nextId++;
    this.cursors.set(id, cursor);
    return { id: Long.fromBigInt(id), ns, firstBatch };
  }

  getMore(id: Long, ns: string, batchSize: number | undefined): CursorReply {
    const key = id.toBigInt();
    const cursor = this.cursors.get(key);
    if (!cursor) throw new MongoServerError('CursorNotFound', `cursor id ${key} not found`);
    if (cursor.ns !== ns) {
      throw new MongoServerError('BadValue', `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`);
    }
    cursor.lastUsed = Date.now();
    const nextBatch = takeBatch(cursor, batchSize ?? Infinity);
    if (cursor.pos >= cursor.docs.length) {
      this.cursors.delete(key);
      return { id: Long.ZERO, ns, nextBatch };
    }
    return { id, ns, nextBatch };
  }

  /** Closes cursors; reports which ids were killed and which were unknown. */
  kill(ids: Long[]): { cursorsKilled: Long[]; cursorsNotFound: Long[] } {
    const cursorsKilled: Long[] = [];
    const cursorsNotFound: Long[] = [];
    for (const id of ids) (this.cursors.delete(id.toBigInt()) ? cursorsKilled : cursorsNotFound).push(id);
    return { cursorsKilled, cursorsNotFound };
  }

  /** Drops cursors idle past the timeout. */
  reap(now = Date.now()): void {
    for (const [id, c] of this.cursors) if (now - c.lastUsed > IDLE_TIMEOUT_MS) this.cursors.delete(id);
  }

  get size(): number {
    return this.cursors.size;
  }
}

function takeBatch(cursor: OpenCursor, batchSize: number): Doc[] {
  const limit = batchSize > 0 ? batchSize : Infinity;
  const batch: Doc[] = [];
  let bytes = 0;
  while (cursor.pos < cursor.docs.length && batch.length < limit) {
    const doc = cursor.docs[cursor.pos] as Doc;
    bytes += BSON.calculateObjectSize(doc);
    if (batch.length > 0 && bytes > MAX_BATCH_BYTES) break;
    batch.push(doc);
    cursor.pos++;
  }
  return batch;
}
