import assert from "node:assert/strict";
import { DirectPermissionCache, PERMISSION_TTL_MS } from "../../shared/chat/direct-permission.cache.js";
import { RecentSendsCache } from "../../shared/chat/recent-sends.cache.js";
import type { SendResult } from "../../shared/chat/chat.types.js";

const result = (clientMessageId: string): SendResult => ({
  id: `m-${clientMessageId}`,
  seq: 1,
  createdAt: new Date(0).toISOString(),
  conversationId: "c1",
  clientMessageId,
  duplicate: false,
});

describe("chat send-path caches", () => {
  it("RecentSendsCache keeps at most its capacity, evicting the oldest, and answers retries as duplicates", () => {
    const cache = new RecentSendsCache(60_000, 3);
    for (const id of ["a", "b", "c", "d"]) cache.remember("u1", result(id), 1_000);
    assert.equal(cache.size, 3);
    assert.equal(cache.get("u1", "c1", "a", 1_000), undefined, "the oldest was evicted");
    assert.deepEqual(cache.get("u1", "c1", "d", 1_000), { ...result("d"), duplicate: true });
    assert.equal(cache.get("u2", "c1", "d", 1_000), undefined, "per sender");
    assert.equal(cache.get("u1", "c1", "b", 61_000), undefined, "expired");
  });

  it("RecentSendsCache: a key remembered again is not evicted with its old slot", () => {
    const cache = new RecentSendsCache(60_000, 2);
    cache.remember("u1", result("a"), 0);
    cache.remember("u1", result("b"), 0);
    cache.remember("u1", result("a"), 0); // takes slot 0 again, evicting the old "a" itself
    cache.remember("u1", result("c"), 0); // evicts slot 1: "b"
    assert.ok(cache.get("u1", "c1", "a", 0));
    assert.equal(cache.get("u1", "c1", "b", 0), undefined);
    assert.ok(cache.get("u1", "c1", "c", 0));
    assert.equal(cache.size, 2);
  });

  it("DirectPermissionCache reuses an answer for half to all of its TTL, with expiries spread out", async () => {
    const asked: string[] = [];
    const cache = new DirectPermissionCache({ canMessage: async (a: string, b: string) => (asked.push(`${a}>${b}`), true) });
    const pairs = Array.from({ length: 200 }, (_, i) => `p${i}`);
    for (const peer of pairs) await cache.canMessage("me", peer, 0);
    assert.equal(asked.length, 200);
    for (const peer of pairs) await cache.canMessage("me", peer, PERMISSION_TTL_MS / 2 - 1);
    assert.equal(asked.length, 200, "every answer lives at least half the TTL");
    for (const peer of pairs) await cache.canMessage("me", peer, (PERMISSION_TTL_MS * 3) / 4);
    const refreshed = asked.length - 200;
    assert.ok(refreshed > 20 && refreshed < 180, `expiries are spread, not synchronised (${refreshed} of 200 refreshed at 3/4 of the TTL)`);
    for (const peer of pairs) await cache.canMessage("me", peer, PERMISSION_TTL_MS);
    assert.equal(asked.length, 400, "no answer outlives the TTL");
  });

  it("DirectPermissionCache drops a user's answers both ways, and never caches an answer an invalidation overtook", async () => {
    let allowed = true;
    let release: (() => void) | undefined;
    const asked: string[] = [];
    const cache = new DirectPermissionCache({
      canMessage: async (a: string, b: string) => {
        asked.push(`${a}>${b}`);
        const answer = allowed;
        if (release === undefined && a === "slow") await new Promise<void>((resolve) => (release = resolve));
        return answer;
      },
    });
    await cache.canMessage("ann", "bob");
    await cache.canMessage("bob", "ann");
    await cache.canMessage("carl", "dora");
    assert.equal(cache.size, 3);
    cache.forgetUser("ann");
    assert.equal(cache.size, 1, "both directions of ann's pair are gone, carl>dora stays");
    await cache.canMessage("carl", "dora");
    assert.equal(asked.filter((k) => k === "carl>dora").length, 1);
    // An answer computed before a block lands is returned to its caller but not kept.
    const inFlight = cache.canMessage("slow", "bob");
    await new Promise((resolve) => setImmediate(resolve));
    allowed = false;
    cache.forget("slow", "bob");
    release!();
    assert.equal(await inFlight, true);
    assert.equal(await cache.canMessage("slow", "bob"), false);
  });

  it("DirectPermissionCache never keeps a refusal: an unblock or a wider audience counts on the next send, invalidation or not", async () => {
    let allowed = false;
    const asked: string[] = [];
    const cache = new DirectPermissionCache({ canMessage: async (a: string, b: string) => (asked.push(`${a}>${b}`), allowed) });
    assert.equal(await cache.canMessage("ann", "bob"), false);
    assert.equal(await cache.canMessage("ann", "bob"), false);
    assert.equal(cache.size, 0);
    allowed = true;
    assert.equal(await cache.canMessage("ann", "bob"), true);
    assert.equal(await cache.canMessage("ann", "bob"), true);
    assert.deepEqual(asked, ["ann>bob", "ann>bob", "ann>bob"], "each refusal asked afresh, the permission reused");
  });
});
