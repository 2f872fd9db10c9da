import { isPlainObject, toNumber, type Doc } from '../bson-order.js';
import { MongoServerError } from '../mongo-error.js';
import { documentSizeBound } from '../wire-protocol.js';
import { asServerError } from '../query-matcher.js';
import type { CommandHandler } from '../server-context.js';
import { executeDelete, executeUpdate, parseUpdateStatement } from '../write-executor.js';
import { checkShardTarget } from './shard-target.js';
import { boolArg, collectionArg, docsArg } from './command-args.js';

/** A write error entry as MongoDB reports it inside `writeErrors`. */
function writeError(index: number, err: unknown): Doc {
  const e = asServerError(err);
  return { index, code: e.code, ...(e.codeName ? { codeName: e.codeName } : {}), errmsg: e.message, ...e.extra };
}

/**
 * Runs each statement of a batch; an ordered batch stops at its first error,
 * an unordered one records the error and carries on.
 */
function runBatch<T>(items: T[], ordered: boolean, run: (item: T, index: number) => void): Doc[] {
  const errors: Doc[] = [];
  for (let i = 0; i < items.length; i++) {
    try {
      run(items[i] as T, i);
    } catch (err) {
      if (!(err instanceof MongoServerError) && !(err instanceof Error)) throw err;
      errors.push(writeError(i, err));
      if (ordered) break;
    }
  }
  return errors;
}

function withErrors(reply: Doc, errors: Doc[]): Doc {
  if (errors.length) reply.writeErrors = errors;
  return reply;
}

const insert: CommandHandler = (ctx, { db, cmd }) => {
  const docs = docsArg(cmd, 'documents');
  const coll = ctx.catalog.getOrCreate(db, collectionArg(cmd, 'insert'));
  const bypass = boolArg(cmd, 'bypassDocumentValidation', false);
  // Every document is smaller than the message that carried it: when that is small enough, no size check can fail.
  const sizeBound = documentSizeBound(cmd);
  let n = 0;
  const errors = runBatch(docs, boolArg(cmd, 'ordered', true), (doc) => {
    coll.insert(doc, bypass, sizeBound);
    n++;
  });
  return withErrors({ n }, errors);
};

const update: CommandHandler = (ctx, { db, cmd }) => {
  const statements = docsArg(cmd, 'updates');
  const name = collectionArg(cmd, 'update');
  const bypass = boolArg(cmd, 'bypassDocumentValidation', false);
  let n = 0;
  let nModified = 0;
  const upserted: Doc[] = [];
  const errors = runBatch(statements, boolArg(cmd, 'ordered', true), (raw, index) => {
    const stmt = { ...parseUpdateStatement(raw), bypassValidation: bypass };
    const coll = stmt.upsert ? ctx.catalog.getOrCreate(db, name) : ctx.catalog.get(db, name);
    if (!coll) return;
    checkShardTarget(ctx, coll, 'update', stmt.q, cmd.comment, stmt.upsert);
    const outcome = executeUpdate(coll, stmt, ctx.notablescan);
    if (outcome.upsertedId !== undefined) {
      upserted.push({ index, _id: outcome.upsertedId });
      n++;
    }
    n += outcome.matched;
    nModified += outcome.modified;
  });
  const reply: Doc = { n, nModified };
  if (upserted.length) reply.upserted = upserted;
  return withErrors(reply, errors);
};

const remove: CommandHandler = (ctx, { db, cmd }) => {
  const statements = docsArg(cmd, 'deletes');
  const coll = ctx.catalog.get(db, collectionArg(cmd, 'delete'));
  let n = 0;
  const errors = runBatch(statements, boolArg(cmd, 'ordered', true), (raw) => {
    if (!isPlainObject(raw.q)) throw new MongoServerError('FailedToParse', "BSON field 'delete.deletes.q' is missing but a required field");
    const limit = toNumber(raw.limit ?? 0);
    if (limit !== 0 && limit !== 1) throw new MongoServerError('FailedToParse', `The limit field in delete objects must be 0 or 1. Got ${limit}`);
    if (!coll) return;
    checkShardTarget(ctx, coll, 'delete', raw.q, cmd.comment);
    n += executeDelete(coll, raw.q, limit === 1, ctx.notablescan, undefined, raw.hint).length;
  });
  return withErrors({ n }, errors);
};

/** insert, update and delete, with ordered/unordered batches. */
export const WRITE_HANDLERS: Record<string, CommandHandler> = { insert, update, delete: remove };
