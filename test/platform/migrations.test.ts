import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { MongoClient } from "mongodb";
import { loadConfig } from "../../shared/config/config.js";
import { allCollections } from "../../shared/db/collections.js";
import { applyCollectionSpecs } from "../../shared/db/mongo-collections.js";
import { createPgPool, dropDatabase, ensureDatabase } from "../../shared/db/postgres.js";
import { MIGRATIONS_DIR, migratePostgres } from "../../shared/db/postgres-migrator.js";
import { createLogger } from "../../shared/logging/logger.js";
import { testEnv } from "../helpers/test-env.js";

describe("migrations", () => {
  const logger = createLogger(loadConfig()).child({ role: "test" });
  const url = new URL(testEnv.databaseUrl);
  url.pathname = `${url.pathname}_mig`;
  const databaseUrl = url.toString();

  before(() => ensureDatabase(databaseUrl));
  after(() => dropDatabase(databaseUrl));

  it("run concurrently, leave one schema, and apply nothing the second time", async function () {
    this.timeout(60_000);
    const files = (await readdir(MIGRATIONS_DIR)).filter((file) => file.endsWith(".sql"));
    const pools = [1, 2, 3].map(() => createPgPool(databaseUrl, 2, logger));
    try {
      const results = await Promise.all(pools.map((pool) => migratePostgres(pool, logger)));
      const appliedTotal = results.reduce((sum, result) => sum + result.applied.length, 0);
      assert.equal(appliedTotal, files.length, "each migration applied exactly once across the concurrent runs");
      const rows = await pools[0]!.query<{ version: string }>("SELECT version FROM schema_migrations ORDER BY version");
      assert.deepEqual(
        rows.rows.map((row) => row.version),
        files.map((file) => file.replace(/\.sql$/, "")).sort(),
      );
      const again = await migratePostgres(pools[0]!, logger);
      assert.deepEqual(again.applied, []);
      assert.equal(again.skipped, files.length);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it("apply MongoDB collections and indexes idempotently, also concurrently", async function () {
    this.timeout(60_000);
    const client = await new MongoClient(testEnv.mongoUrl).connect();
    const db = client.db(`${testEnv.mongoDb}_mig`);
    try {
      await Promise.all([applyCollectionSpecs(db, allCollections, logger), applyCollectionSpecs(db, allCollections, logger)]);
      await applyCollectionSpecs(db, allCollections, logger);
      const names = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
      for (const spec of allCollections) {
        assert.ok(names.has(spec.name), `collection ${spec.name} exists`);
        const indexes = await db.collection(spec.name).listIndexes().toArray();
        for (const index of spec.indexes) {
          // Text indexes are listed by their internal key ({_fts, _ftsx}), so compare by name where one is declared.
          const matching = indexes.filter((existing) =>
            index.name ? existing.name === index.name : JSON.stringify(existing.key) === JSON.stringify(index.key),
          );
          assert.equal(matching.length, 1, `${spec.name}: exactly one index ${index.name ?? JSON.stringify(index.key)}`);
        }
      }
      // An index an earlier release created and the specs now retire is dropped, and dropping stays idempotent.
      const retiring = allCollections.find((spec) => spec.retiredIndexes?.length)!;
      const retiredName = retiring.retiredIndexes![0]!;
      await db.collection(retiring.name).createIndex({ retiredProbe: 1 }, { name: retiredName });
      assert.ok((await db.collection(retiring.name).listIndexes().toArray()).some((index) => index.name === retiredName));
      await Promise.all([applyCollectionSpecs(db, allCollections, logger), applyCollectionSpecs(db, allCollections, logger)]);
      await applyCollectionSpecs(db, allCollections, logger);
      assert.ok(!(await db.collection(retiring.name).listIndexes().toArray()).some((index) => index.name === retiredName), `${retiring.name}: ${retiredName} dropped`);
    } finally {
      await db.dropDatabase();
      await client.close();
    }
  });

  it("roll back a failing migration and leave it pending", async function () {
    const { mkdtemp, writeFile, rm } = await import("node:fs/promises");
    const path = await import("node:path");
    const os = await import("node:os");
    const dir = await mkdtemp(path.join(os.tmpdir(), "cw-mig-"));
    await writeFile(path.join(dir, "0001_ok.sql"), "CREATE TABLE mig_probe (id int);");
    await writeFile(path.join(dir, "0002_broken.sql"), "CREATE TABLE mig_probe_two (id int); SELECT no_such_function();");
    const failUrl = new URL(databaseUrl);
    failUrl.pathname = `${failUrl.pathname}_fail`;
    await ensureDatabase(failUrl.toString());
    const pool = createPgPool(failUrl.toString(), 2, logger);
    try {
      await assert.rejects(migratePostgres(pool, logger, dir), /0002_broken\.sql failed/);
      const tables = await pool.query("SELECT to_regclass('mig_probe') AS one, to_regclass('mig_probe_two') AS two");
      assert.equal(tables.rows[0].one, "mig_probe");
      assert.equal(tables.rows[0].two, null, "the failed migration's changes are rolled back");
      const versions = await pool.query("SELECT version FROM schema_migrations");
      assert.deepEqual(versions.rows.map((r) => r.version), ["0001_ok"]);
    } finally {
      await pool.end();
      await dropDatabase(failUrl.toString());
      await rm(dir, { recursive: true });
    }
  });
});
