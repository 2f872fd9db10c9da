import assert from "node:assert/strict";
import { OnlineCache } from "../../shared/presence/online-cache.js";

/** A presence source that answers from a set and counts what it was asked. */
function source(connected: Set<string>) {
  const asked: string[][] = [];
  let hold: Promise<void> | undefined;
  return {
    asked,
    holdNext(until: Promise<void>) {
      hold = until;
    },
    async onlineAmong(userIds: readonly string[]) {
      asked.push([...userIds]);
      const answer = new Set(userIds.filter((id) => connected.has(id)));
      if (hold) {
        const wait = hold;
        hold = undefined;
        await wait;
      }
      return answer;
    },
  };
}

describe("the send path's memory of who is connected (OnlineCache)", () => {
  it("reuses a connected answer until its time is up, and always asks again about users not connected", async () => {
    const connected = new Set(["ann"]);
    const presence = source(connected);
    const cache = new OnlineCache(presence, 50);
    assert.deepEqual([...(await cache.onlineAmong(["ann", "bob"]))], ["ann"]);
    assert.deepEqual([...(await cache.onlineAmong(["ann", "bob"]))], ["ann"]);
    assert.deepEqual(presence.asked, [["ann", "bob"], ["bob"]], "ann answered from memory, bob asked again");
    connected.add("bob");
    assert.deepEqual([...(await cache.onlineAmong(["bob"]))].sort(), ["bob"], "a user who connects is seen at once");
    await new Promise((resolve) => setTimeout(resolve, 60));
    connected.delete("ann");
    assert.deepEqual([...(await cache.onlineAmong(["ann"]))], [], "past its time the answer is asked again");
  });

  it("forgets a user announced offline, also when the announcement overtakes an answer being fetched, and everything on clear", async () => {
    const connected = new Set(["ann", "bob", "cat"]);
    const presence = source(connected);
    const cache = new OnlineCache(presence, 60_000);
    await cache.onlineAmong(["ann", "bob"]);
    connected.delete("ann");
    cache.forget(["ann"]);
    assert.deepEqual([...(await cache.onlineAmong(["ann", "bob"]))], ["bob"]);

    // An answer fetched while cat's last device went away is returned but not kept.
    let release!: () => void;
    presence.holdNext(new Promise<void>((resolve) => (release = resolve)));
    const inFlight = cache.onlineAmong(["cat"]);
    await new Promise((resolve) => setImmediate(resolve));
    connected.delete("cat");
    cache.forget(["cat"]);
    release();
    assert.deepEqual([...(await inFlight)], ["cat"]);
    assert.deepEqual([...(await cache.onlineAmong(["cat"]))], [], "not believed connected afterwards");

    assert.equal(cache.size, 1);
    cache.clear();
    assert.equal(cache.size, 0);
    connected.delete("bob");
    assert.deepEqual([...(await cache.onlineAmong(["bob"]))], []);
  });

  it("stays within its bound", async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `u${i}`);
    const cache = new OnlineCache(source(new Set(ids)), 60_000, 20);
    await cache.onlineAmong(ids);
    assert.ok(cache.size <= 20, `${cache.size} entries`);
  });
});
