import { formatValue } from '../bson-view.js';
import { normalizeIndexSpec } from '../index-spec.js';
import { MongoServerError } from '../mongo-error.js';
import { parseShardKey, sameShardKey } from '../shard-keys.js';
import type { CommandHandler } from '../server-context.js';
import { boolArg } from './command-args.js';

function requireAdmin(db: string, name: string): void {
  if (db !== 'admin') throw new MongoServerError('Unauthorized', `${name} may only be run against the admin database.`);
}

/**
 * `shardCollection`, as mongos takes it: `{shardCollection: "db.coll", key: {userId: 1}}` or a
 * hashed key. The key is kept on the collection (created if missing) for the server's life or
 * until the collection is dropped; an index on the key is created when none starts with it.
 */
const shardCollection: CommandHandler = (ctx, { db, cmd }) => {
  requireAdmin(db, 'shardCollection');
  const ns = cmd.shardCollection ?? cmd.shardcollection;
  const dot = typeof ns === 'string' ? ns.indexOf('.') : -1;
  if (typeof ns !== 'string' || dot <= 0 || dot === ns.length - 1) throw new MongoServerError('InvalidNamespace', `Invalid namespace specified '${String(ns)}'`);
  const key = parseShardKey(cmd.key, boolArg(cmd, 'unique', false));
  const coll = ctx.catalog.getOrCreate(ns.slice(0, dot), ns.slice(dot + 1));
  if (coll.shardKey) {
    if (!sameShardKey(coll.shardKey, key)) throw new MongoServerError('AlreadyInitialized', `sharding already enabled for collection ${ns} with options { key: ${formatValue(coll.shardKey.key)} }`);
    return { collectionsharded: ns };
  }
  const served = [...coll.indexes.values()].some((ix) => key.fields.every((f, i) => ix.fields[i] === f && ix.hashed[i] === key.hashed.has(f)) && !ix.spec.sparse && !ix.spec.partialFilterExpression);
  if (!served) {
    if (coll.records.size > 0) throw new MongoServerError('InvalidOptions', 'Please create an index that starts with the proposed shard key before sharding the collection.');
    const spec = normalizeIndexSpec({ key: key.key, ...(key.unique ? { unique: true } : {}) });
    coll.addIndex(spec, undefined);
  }
  coll.shardKey = key;
  coll.shardKeyStrict = ctx.sharding.strict;
  ctx.log(`collection ${ns} sharded by ${formatValue(key.key)}${ctx.sharding.strict ? ' (strict shard-key mode)' : ''}`);
  return { collectionsharded: ns };
};

/** The embedded server's routing counters: `{embeddedShardingStatus: 1, reset?: true}`. */
const embeddedShardingStatus: CommandHandler = (ctx, { cmd }) => {
  let sharded = 0;
  for (const coll of ctx.catalog.allCollections()) if (coll.shardKey) sharded++;
  const report = ctx.sharding.report(sharded);
  if (boolArg(cmd, 'reset', false)) ctx.sharding.reset();
  return report;
};

/** Sharding commands: shardCollection records a key; enableSharding is acknowledged, as there is one node. */
export const SHARDING_HANDLERS: Record<string, CommandHandler> = {
  shardCollection,
  shardcollection: shardCollection,
  enableSharding: (_ctx, { db }) => (requireAdmin(db, 'enableSharding'), {}),
  enablesharding: (_ctx, { db }) => (requireAdmin(db, 'enableSharding'), {}),
  embeddedShardingStatus,
};
