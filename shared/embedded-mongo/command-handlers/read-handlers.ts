import { Long } from 'bson';
import { compareBson, isNumeric } from '../bson-order.js';
import { pathValues } from '../document-paths.js';
import { MongoServerError } from '../mongo-error.js';
import { compileProjection } from '../projection.js';
import { runQuery } from '../query-executor.js';
import type { CommandHandler } from '../server-context.js';
import { checkShardTarget } from './shard-target.js';
import { boolArg, collectionArg, countArg, docArg, numberArg } from './command-args.js';

const find: CommandHandler = (ctx, { db, cmd }) => {
  const name = collectionArg(cmd, 'find');
  const ns = `${db}.${name}`;
  const limitArg = numberArg(cmd, 'limit');
  const batchSize = countArg(cmd, 'batchSize');
  const skip = countArg(cmd, 'skip');
  // A negative limit is the legacy way of asking for a single batch.
  const singleBatch = boolArg(cmd, 'singleBatch', false) || (limitArg !== undefined && limitArg < 0);
  const limit = limitArg === undefined || limitArg === 0 ? undefined : Math.abs(limitArg);
  const projector = compileProjection(docArg(cmd, 'projection'));
  const coll = ctx.catalog.get(db, name);
  if (!coll) return { cursor: { id: Long.ZERO, ns, firstBatch: [] } };
  checkShardTarget(ctx, coll, 'find', docArg(cmd, 'filter') ?? {}, cmd.comment);
  const result = runQuery(coll, { filter: docArg(cmd, 'filter'), sort: docArg(cmd, 'sort'), skip, limit, hint: cmd.hint }, ctx.notablescan);
  const docs = result.records.map((r) => projector(r.doc, result.scores?.get(r.id)));
  return { cursor: ctx.cursors.open(ns, docs, batchSize, singleBatch) };
};

const getMore: CommandHandler = (ctx, { db, cmd }) => {
  const id = cmd.getMore;
  if (!(id instanceof Long) && !isNumeric(id)) throw new MongoServerError('TypeMismatch', "Field 'getMore' must be of type long");
  const cursorId = id instanceof Long ? id : Long.fromNumber(Number(id));
  const name = collectionArg(cmd, 'collection');
  return { cursor: ctx.cursors.getMore(cursorId, `${db}.${name}`, countArg(cmd, 'batchSize')) };
};

const killCursors: CommandHandler = (ctx, { cmd }) => {
  collectionArg(cmd, 'killCursors');
  const ids = Array.isArray(cmd.cursors) ? cmd.cursors.map((c) => (c instanceof Long ? c : Long.fromNumber(Number(c)))) : [];
  return { ...ctx.cursors.kill(ids), cursorsAlive: [], cursorsUnknown: [] };
};

const count: CommandHandler = (ctx, { db, cmd }) => {
  const coll = ctx.catalog.get(db, collectionArg(cmd, 'count'));
  if (!coll) return { n: 0 };
  const query = docArg(cmd, 'query') ?? {};
  checkShardTarget(ctx, coll, 'count', query, cmd.comment);
  const skip = countArg(cmd, 'skip') ?? 0;
  const limit = Math.abs(numberArg(cmd, 'limit') ?? 0);
  // A count without a query is answered from the collection's size, as MongoDB does.
  if (Object.keys(query).length === 0 && cmd.hint === undefined) {
    const n = Math.max(0, coll.records.size - skip);
    return { n: limit ? Math.min(limit, n) : n };
  }
  const result = runQuery(coll, { filter: query, skip, limit: limit || undefined, hint: cmd.hint }, ctx.notablescan);
  return { n: result.records.length };
};

const distinct: CommandHandler = (ctx, { db, cmd }) => {
  const key = cmd.key;
  if (typeof key !== 'string') throw new MongoServerError('TypeMismatch', "BSON field 'distinct.key' is missing but a required field");
  const coll = ctx.catalog.get(db, collectionArg(cmd, 'distinct'));
  if (!coll) return { values: [] };
  const query = docArg(cmd, 'query') ?? {};
  checkShardTarget(ctx, coll, 'distinct', query, cmd.comment);
  // Sorting on the key lets an index on it serve an unfiltered distinct (MongoDB's DISTINCT_SCAN).
  const sort = Object.keys(query).length === 0 ? { [key]: 1 } : undefined;
  const result = runQuery(coll, { filter: query, sort, hint: cmd.hint }, ctx.notablescan);
  const values: unknown[] = [];
  for (const r of result.records) {
    for (const v of pathValues(r.doc, key).values) if (v !== undefined) values.push(v);
  }
  values.sort(compareBson);
  return { values: values.filter((v, i) => i === 0 || compareBson(v, values[i - 1]) !== 0) };
};

/** Query and cursor commands. */
export const READ_HANDLERS: Record<string, CommandHandler> = { find, getMore, killCursors, count, distinct };
