import { CollectionStore } from './collection-store.js';
import { badValue, MongoServerError } from './mongo-error.js';

/** Every database and collection the server holds, created implicitly on first write. */
export class DatabaseCatalog {
  private readonly dbs = new Map<string, Map<string, CollectionStore>>();

  get(db: string, name: string): CollectionStore | undefined {
    return this.dbs.get(db)?.get(name);
  }

  /** Returns the collection, creating it (as an implicit create) if needed. */
  getOrCreate(db: string, name: string): CollectionStore {
    return this.get(db, name) ?? this.create(db, name, {});
  }

  /** Explicit create; fails with NamespaceExists when the collection is already there. */
  create(db: string, name: string, options: Record<string, unknown>): CollectionStore {
    checkName(db, name);
    let colls = this.dbs.get(db);
    if (!colls) this.dbs.set(db, (colls = new Map()));
    if (colls.has(name)) throw new MongoServerError('NamespaceExists', `Collection ${db}.${name} already exists.`);
    const coll = new CollectionStore(db, name, options);
    colls.set(name, coll);
    return coll;
  }

  drop(db: string, name: string): boolean {
    const colls = this.dbs.get(db);
    const dropped = colls?.delete(name) ?? false;
    if (colls && colls.size === 0) this.dbs.delete(db);
    return dropped;
  }

  dropDatabase(db: string): boolean {
    return this.dbs.delete(db);
  }

  collections(db: string): CollectionStore[] {
    return [...(this.dbs.get(db)?.values() ?? [])];
  }

  databaseNames(): string[] {
    return [...this.dbs.keys()];
  }

  *allCollections(): Generator<CollectionStore> {
    for (const colls of this.dbs.values()) yield* colls.values();
  }
}

function checkName(db: string, name: string): void {
  if (!db || /[/\\. "$]/.test(db)) throw new MongoServerError('InvalidNamespace', `Invalid database name: '${db}'`);
  if (!name || name.includes('$') || name.startsWith('.') || name.includes('\0')) {
    throw new MongoServerError('InvalidNamespace', `Invalid collection name: ${name}`);
  }
  if (name.length > 255) throw badValue('collection name too long');
}
