import type { Config } from "../config/config.js";
import type { Logger } from "../logging/logger.js";
import { allCollections } from "./collections.js";
import { connectMongo } from "./mongo.js";
import { applyCollectionSpecs } from "./mongo-collections.js";
import { applyShardKeys } from "./mongo-shard-keys.js";
import { createPgPool, ensureDatabase } from "./postgres.js";
import { migratePostgres, type MigrationResult } from "./postgres-migrator.js";

/**
 * The one migrate command: PostgreSQL schema (versioned SQL, under an advisory
 * lock) and MongoDB validators, indexes and shard keys (on a mongos or the
 * embedded server). Safe to run again and concurrently.
 */
export async function migrateAll(config: Config, logger: Logger, mongoUrl: string): Promise<MigrationResult> {
  if (config.DATABASE_CREATE) await ensureDatabase(config.DATABASE_URL);
  const pool = createPgPool(config.DATABASE_URL, 2, logger);
  let result: MigrationResult;
  try {
    result = await migratePostgres(pool, logger);
  } finally {
    await pool.end();
  }
  const mongo = await connectMongo(mongoUrl, config.MONGO_DB, logger, config.SLOW_QUERY_MS);
  try {
    await applyCollectionSpecs(mongo.db, allCollections, logger);
    await applyShardKeys(mongo.db, allCollections, logger);
  } finally {
    await mongo.client.close();
  }
  logger.info({ applied: result.applied.length, collections: allCollections.length }, "migrations done");
  return result;
}
