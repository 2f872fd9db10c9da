import assert from "node:assert/strict";
import { MongoClient } from "mongodb";
import { allCollections } from "../../shared/db/collections.js";
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
    // The seed's choices.
    assert.deepEqual(byName.get("messages"), { conversationId: 1 });
    assert.deepEqual(byName.get("posts"), { userId: 1 });
    assert.deepEqual(byName.get("videos"), { userId: 1 });
    assert.deepEqual(byName.get("notifications"), { recipientId: 1 });
  });

  it("lists the collections whose unique indexes must change before a real cluster shards them", () => {
    const conflicts: Record<string, string[]> = {};
    for (const spec of allCollections) if (shardKeyConflicts(spec).length > 0) conflicts[spec.name] = shardKeyConflicts(spec);
    assert.deepEqual(conflicts, { videos: ["sourceUploadId_unique"], comments: ["user_client_id"], calls: ["idx_roomId"] });
  });

  it("migrate recorded every applicable key on the embedded server (a plain mongod gets none)", async () => {
    const client = await MongoClient.connect(testEnv.mongoUrl);
    try {
      const db = client.db(testEnv.mongoDb);
      const target = await shardingTarget(db);
      assert.equal(target, testEnv.embeddedMongo ? "embedded" : target);
      if (target !== "embedded") return;
      const status = await db.admin().command({ embeddedShardingStatus: 1 });
      const applicable = allCollections.filter((spec) => spec.shardKey && shardKeyConflicts(spec).length === 0).length;
      assert.ok(Number(status.shardedCollections) >= applicable, JSON.stringify(status));
    } finally {
      await client.close();
    }
  });
});
