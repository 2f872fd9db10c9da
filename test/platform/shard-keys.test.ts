import assert from "node:assert/strict";
import { MongoClient } from "mongodb";
import { allCollections } from "../../shared/db/collections.js";
import type { CollectionSpec } from "../../shared/db/mongo-collections.js";
import { shardingTarget, shardKeyConflicts } from "../../shared/db/mongo-shard-keys.js";
import { testEnv } from "../helpers/test-env.js";

/**
 * Every collection declares its shard key (or says why it stays unsharded)
 * beside its indexes, and migrate applies the keys on the embedded server.
 */
describe("MongoDB shard keys, declared and applied", function () {
  it("every collection declares a shard key or null, with the reason", () => {
    const missing = allCollections.filter((spec) => spec.shardKey === undefined || !spec.shardReason || spec.shardReason.length < 20).map((spec) => spec.name);
    assert.deepEqual(missing, []);
    const byName = new Map(allCollections.map((spec) => [spec.name, spec.shardKey]));
    // The seed's choices, but posts and videos.
    assert.deepEqual(byName.get("messages"), { conversationId: 1 });
    // Posts and videos moved from the seed's author to hashed _id (reasons in the specs): id-only reads dominate.
    assert.deepEqual(byName.get("posts"), { _id: "hashed" });
    assert.deepEqual(byName.get("videos"), { _id: "hashed" });
    assert.deepEqual(byName.get("notifications"), { recipientId: 1 });
  });

  it("every unique index starts with its collection's shard key, so a real cluster shards them all", () => {
    const conflicts: Record<string, string[]> = {};
    for (const spec of allCollections) if (shardKeyConflicts(spec).length > 0) conflicts[spec.name] = shardKeyConflicts(spec);
    assert.deepEqual(conflicts, {});
  });

  it("finds the unique indexes a cluster would refuse: not prefixed by a ranged key, any but _id with a hashed key", () => {
    const unique = (name: string, key: Record<string, 1>) => ({ key, name, unique: true });
    const ranged: CollectionSpec = {
      name: "t",
      shardKey: { a: 1 },
      shardReason: "a test collection sharded by a",
      indexes: [unique("a_b", { a: 1, b: 1 }), unique("b_a", { b: 1, a: 1 }), unique("_id", { _id: 1 }), { key: { c: 1 }, name: "c" }],
    };
    assert.deepEqual(shardKeyConflicts(ranged), ["b_a"]);
    assert.deepEqual(shardKeyConflicts({ ...ranged, shardKey: { a: "hashed" } }), ["a_b", "b_a"]);
    assert.deepEqual(shardKeyConflicts({ ...ranged, shardKey: null }), []);
  });

  it("migrate recorded every applicable key on the embedded server (a plain mongod gets none)", async () => {
    const client = await MongoClient.connect(testEnv.mongoUrl);
    try {
      const db = client.db(testEnv.mongoDb);
      const target = await shardingTarget(db);
      assert.equal(target, testEnv.embeddedMongo ? "embedded" : target);
      if (target !== "embedded") return;
      const status = await db.admin().command({ embeddedShardingStatus: 1 });
      const applicable = allCollections.filter((spec) => spec.shardKey).length;
      assert.ok(Number(status.shardedCollections) >= applicable, JSON.stringify(status));
    } finally {
      await client.close();
    }
  });
});
