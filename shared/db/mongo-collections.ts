import type { Db, Document, IndexDescription } from "mongodb";
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
}

const NAMESPACE_EXISTS = 48;
const INDEX_OPTIONS_CONFLICT = 85;
const INDEX_KEY_SPECS_CONFLICT = 86;

/**
 * Creates each collection with its validator (or updates the validator with
 * collMod) and creates its indexes. Idempotent: an index whose options changed
 * under the same name is dropped and rebuilt.
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
    if (spec.indexes.length === 0) continue;
    const collection = db.collection(spec.name);
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
