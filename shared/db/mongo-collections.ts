import type { Collection, Db, Document, IndexDescription } from "mongodb";
import type { Logger } from "../logging/logger.js";

/**
 * A collection as its repository expects it: its `$jsonSchema` validator (the
 * second line of defence after input schemas) and every index its queries use.
 */
export interface CollectionSpec {
  name: string;
  validator?: Document;
  indexes: IndexDescription[];
  /**
   * The key a sharded deployment shards this collection on (hot queries
   * include it), or null for a collection left unsharded; applied by migrate
   * on a mongos and on the embedded server (see mongo-shard-keys.ts).
   */
  shardKey?: Document | null;
  /** Why this key (or why unsharded): which queries it targets and which scatter. */
  shardReason?: string;
  /** Names of indexes earlier releases created and nothing reads any more: migrate drops them where they exist. */
  retiredIndexes?: readonly string[];
}

const NAMESPACE_EXISTS = 48;
const INDEX_OPTIONS_CONFLICT = 85;
const INDEX_KEY_SPECS_CONFLICT = 86;
const INDEX_NOT_FOUND = 27;

/**
 * Creates each collection with its validator (or updates the validator with
 * collMod), creates its indexes and drops its retired ones. Idempotent: an
 * index whose options changed under the same name is dropped and rebuilt.
 */
export async function applyCollectionSpecs(db: Db, specs: readonly CollectionSpec[], logger: Logger): Promise<void> {
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  for (const spec of specs) {
    const validation = spec.validator
      ? { validator: spec.validator, validationLevel: "strict", validationAction: "error" }
      : {};
    if (!existing.has(spec.name)) {
      try {
        await db.createCollection(spec.name, validation);
      } catch (error) {
        if ((error as { code?: number }).code !== NAMESPACE_EXISTS) throw error;
        if (spec.validator) await db.command({ collMod: spec.name, ...validation });
      }
    } else if (spec.validator) {
      await db.command({ collMod: spec.name, ...validation });
    }
    const collection = db.collection(spec.name);
    await dropRetired(collection, spec, logger);
    if (spec.indexes.length === 0) continue;
    try {
      await collection.createIndexes(spec.indexes);
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code !== INDEX_OPTIONS_CONFLICT && code !== INDEX_KEY_SPECS_CONFLICT) throw error;
      for (const index of spec.indexes) {
        try {
          await collection.createIndexes([index]);
        } catch (inner) {
          const innerCode = (inner as { code?: number }).code;
          if ((innerCode !== INDEX_OPTIONS_CONFLICT && innerCode !== INDEX_KEY_SPECS_CONFLICT) || !index.name) throw inner;
          logger.warn({ collection: spec.name, index: index.name }, "rebuilding index whose definition changed");
          await collection.dropIndex(index.name);
          await collection.createIndexes([index]);
        }
      }
    }
  }
}

/** Drops the spec's retired indexes that still exist (another migrate racing this one may drop them first). */
async function dropRetired(collection: Collection, spec: CollectionSpec, logger: Logger): Promise<void> {
  if (!spec.retiredIndexes?.length) return;
  const present = new Set((await collection.listIndexes().toArray()).map((index) => String(index.name)));
  for (const name of spec.retiredIndexes) {
    if (!present.has(name)) continue;
    try {
      await collection.dropIndex(name);
      logger.info({ collection: spec.name, index: name }, "dropped retired index");
    } catch (error) {
      if ((error as { code?: number }).code !== INDEX_NOT_FOUND) throw error;
    }
  }
}
