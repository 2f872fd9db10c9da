import assert from "node:assert/strict";
import { keySlot, registeredScripts } from "../../shared/db/redis-scripts.js";
import type { Platform } from "../../shared/runtime/platform.js";
import { createTestPlatform } from "../helpers/platform.js";

/** The single-node side of the one-slot rule: in tests every script call is checked as Redis Cluster would. */
describe("Redis scripts registry and one-slot guard (single node)", function () {
  let platform: Platform;
  before(async () => ({ platform } = await createTestPlatform()));
  after(() => platform.close());

  it("maps keys to slots like Redis Cluster (CRC16 of the hash tag when there is one)", () => {
    // Values from the Redis Cluster specification and CLUSTER KEYSLOT.
    assert.equal(keySlot("foo"), 12182);
    assert.equal(keySlot("somekey"), 11058);
    assert.equal(keySlot("{user1000}.following"), keySlot("{user1000}.followers"));
    assert.equal(keySlot("cw:presence:{u:1}"), keySlot("presence:{u:1}:left"));
    assert.equal(keySlot("{}x"), keySlot("{}x"));
    assert.notEqual(keySlot("{}x"), keySlot("x"), "an empty tag hashes the whole key");
  });

  it("refuses a script call whose keys span slots, on a single node where Redis would accept it", async () => {
    const redis = platform.redis as unknown as { chatUnreadIncr(n: number, ...keys: string[]): Promise<number> };
    assert.ok(registeredScripts().has("chatUnreadIncr"));
    await assert.rejects(redis.chatUnreadIncr(2, "unread:{c:a}:u1", "unread:{c:b}:u1"), /CROSSSLOT script chatUnreadIncr/);
    assert.equal(await redis.chatUnreadIncr(2, "unread:{c:a}:u1", "unread:{c:a}:u2"), 0);
  });
});
