import type { Doc } from '../bson-order.js';
import { MongoServerError } from '../mongo-error.js';
import { compileProjection } from '../projection.js';
import type { CommandHandler } from '../server-context.js';
import { executeDelete, executeUpdate } from '../write-executor.js';
import { updateKind } from '../update-engine.js';
import { checkShardTarget } from './shard-target.js';
import { boolArg, collectionArg, docArg } from './command-args.js';

/** findAndModify: atomically update (or remove) one document and return it, before or after. */
const findAndModify: CommandHandler = (ctx, { db, cmd }) => {
  const name = collectionArg(cmd, 'findAndModify' in cmd ? 'findAndModify' : 'findandmodify');
  const query = docArg(cmd, 'query') ?? {};
  const sort = docArg(cmd, 'sort');
  const remove = boolArg(cmd, 'remove', false);
  const upsert = boolArg(cmd, 'upsert', false);
  const returnNew = boolArg(cmd, 'new', false);
  const update = cmd.update as Doc | Doc[] | undefined;
  const projector = compileProjection(docArg(cmd, 'fields'));
  if (remove && update !== undefined) throw new MongoServerError('FailedToParse', 'Cannot specify both an update and remove=true');
  if (remove && upsert) throw new MongoServerError('FailedToParse', 'Cannot specify both upsert=true and remove=true');
  if (remove && returnNew) throw new MongoServerError('FailedToParse', 'Cannot specify both new=true and remove=true; \'remove\' always returns the deleted document');
  if (!remove && update === undefined) throw new MongoServerError('FailedToParse', 'Either an update or remove=true must be specified');

  if (remove) {
    const coll = ctx.catalog.get(db, name);
    checkShardTarget(ctx, coll, 'findAndModify', query, cmd.comment);
    const [removed] = coll ? executeDelete(coll, query, true, ctx.notablescan, sort, cmd.hint) : [];
    return { lastErrorObject: { n: removed ? 1 : 0 }, value: removed ? projector(removed.doc) : null };
  }
  if (updateKind(update) === 'operators' || updateKind(update) === 'replacement' || Array.isArray(update)) {
    const coll = upsert ? ctx.catalog.getOrCreate(db, name) : ctx.catalog.get(db, name);
    if (!coll) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null };
    checkShardTarget(ctx, coll, 'findAndModify', query, cmd.comment, upsert);
    const outcome = executeUpdate(coll, {
      q: query,
      u: update as Doc | Doc[],
      multi: false,
      upsert,
      sort,
      hint: cmd.hint,
      arrayFilters: cmd.arrayFilters as Doc[] | undefined,
      bypassValidation: boolArg(cmd, 'bypassDocumentValidation', false),
    }, ctx.notablescan);
    const lastErrorObject: Doc = { n: outcome.matched || (outcome.upsertedId !== undefined ? 1 : 0), updatedExisting: outcome.matched > 0 };
    if (outcome.upsertedId !== undefined) lastErrorObject.upserted = outcome.upsertedId;
    const record = returnNew ? outcome.after : outcome.before;
    return { lastErrorObject, value: record ? projector(record.doc) : null };
  }
  throw new MongoServerError('FailedToParse', 'Update argument must be either an object or an array');
};

/** The findAndModify command (both spellings). */
export const FIND_AND_MODIFY_HANDLERS: Record<string, CommandHandler> = { findAndModify, findandmodify: findAndModify };
