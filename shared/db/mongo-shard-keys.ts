import type { Db, Document } from "mongodb";
import type { Logger } from "../logging/logger.js";
import type { CollectionSpec } from "./mongo-collections.js";

/** Where migrate runs: a mongos (shards for real), the embedded server (records keys for its shard-key mode), or a plain mongod. */
export type ShardingTarget = "mongos" | "embedded" | "none";

const ALREADY_INITIALIZED = 23;

/** Detects the kind of server: `hello.msg` is "isdbgrid" on a mongos; the embedded server's buildInfo says "embedded". */
export async function shardingTarget(db: Db): Promise<ShardingTarget> {
  const admin = db.admin();
  const hello = await admin.command({ hello: 1 });
  if (hello.msg === "isdbgrid") return "mongos";
  const build = await admin.command({ buildInfo: 1 });
  return build.gitVersion === "embedded" ? "embedded" : "none";
}

/**
 * Unique indexes a real cluster would refuse for this shard key: MongoDB only
 * enforces uniqueness on a ranged-sharded collection for indexes whose key
 * starts with the shard key (`_id` excepted), and on a hashed-sharded one for
 * none but `_id` (a hashed index cannot be unique). Such a collection must
 * change its index, or its key, before it can be sharded.
 */
export function shardKeyConflicts(spec: CollectionSpec): string[] {
  if (!spec.shardKey) return [];
  const fields = Object.keys(spec.shardKey);
  const hashed = Object.values(spec.shardKey).includes("hashed");
  return spec.indexes
    .filter((index) => index.unique)
    .filter((index) => {
      const keys = Object.keys(index.key);
      if (keys.length === 1 && keys[0] === "_id") return false;
      return hashed || !fields.every((field, i) => keys[i] === field);
    })
    .map((index) => index.name ?? JSON.stringify(index.key));
}

/**
 * Shards every collection that declares a key, where that means something: on
 * a mongos (`enableSharding`, then `shardCollection` per collection; a
 * collection already sharded on the same key is left alone) and on the
 * embedded server (which records the key so its strict mode can refuse
 * untargeted operations). On a plain mongod nothing happens. Collections
 * whose unique indexes conflict with their key are skipped with a warning.
 */
export async function applyShardKeys(db: Db, specs: readonly CollectionSpec[], logger: Logger): Promise<ShardingTarget> {
  const target = await shardingTarget(db);
  if (target === "none") return target;
  const admin = db.admin();
  if (target === "mongos") await admin.command({ enableSharding: db.databaseName });
  for (const spec of specs) {
    if (!spec.shardKey) continue;
    const conflicts = shardKeyConflicts(spec);
    if (conflicts.length > 0) {
      logger.warn({ collection: spec.name, shardKey: spec.shardKey, conflicts }, "not sharded: unique indexes do not start with the shard key");
      continue;
    }
    try {
      await admin.command({ shardCollection: `${db.databaseName}.${spec.name}`, key: spec.shardKey as Document });
    } catch (error) {
      if ((error as { code?: number }).code !== ALREADY_INITIALIZED) throw error;
      logger.warn({ collection: spec.name, err: error }, "already sharded on another key; left as it is");
    }
  }
  return target;
}
