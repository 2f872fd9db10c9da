import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { LastSeenRepository } from "../../shared/presence/last-seen.repository.js";
import { LastSeenWriter } from "../../shared/presence/last-seen.writer.js";
import { PresenceRepository, presenceKey } from "../../shared/presence/presence.repository.js";
import { PresenceService } from "../../shared/presence/presence.service.js";
import type { Device } from "../../shared/presence/presence.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import { createTestPlatform } from "../helpers/platform.js";
import { waitFor } from "../helpers/ports.js";

const TTL_MS = 400;
const GRACE_MS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("presence registry (Redis, per device)", function () {
  this.timeout(20_000);
  let platform: Platform;
  let presence: PresenceService;
  let devices: PresenceRepository;
  let writer: LastSeenWriter;
  const device = (userId: string = randomUUID()): Device => ({ userId, socketId: randomUUID().replace(/-/g, "").slice(0, 20) });

  before(async () => {
    ({ platform } = await createTestPlatform());
    devices = new PresenceRepository(platform.redis, { deviceTtlMs: TTL_MS, keyTtlMs: TTL_MS * 5, drainGraceMs: GRACE_MS });
    // Everyone may see everyone here: privacy is covered by the gateway tests with real profiles.
    writer = new LastSeenWriter(new LastSeenRepository(platform.pg), platform.logger);
    presence = new PresenceService(devices, writer, { canSeeLastSeen: async () => true }, platform.logger, 3, platform.realtime);
  });
  after(async () => {
    await writer.flush();
    await platform.close();
  });

  /** Sweeps until `userId` is reported offline, returning that update. */
  async function sweptOffline(userId: string) {
    let found: Awaited<ReturnType<PresenceService["sweep"]>>[number] | undefined;
    await waitFor(async () => {
      found = (await presence.sweep()).find((u) => u.userId === userId);
      return found !== undefined;
    }, 5_000, `${userId} swept offline`);
    return found!;
  }

  it("counts devices: online with the first, offline only when the last one leaves", async () => {
    const a = device();
    const b = device(a.userId);
    assert.deepEqual(await presence.connect(a), { userId: a.userId, online: true, lastSeen: null });
    assert.equal(await presence.connect(b), null);
    assert.deepEqual([...(await devices.onlineAmong([a.userId]))], [a.userId]);
    assert.equal(await presence.disconnect(a), null);
    const offline = await presence.disconnect(b);
    assert.equal(offline?.online, false);
    assert.ok(offline?.lastSeen && Math.abs(Date.parse(offline.lastSeen) - Date.now()) < 5_000);
    assert.equal((await devices.onlineAmong([a.userId])).size, 0);
    // A second disconnect of the same device announces nothing.
    assert.equal(await presence.disconnect(b), null);
  });

  it("refuses a device past the per-user cap with TOO_MANY_CONNECTIONS, and admits again once one leaves", async () => {
    const userId = randomUUID();
    const three = [device(userId), device(userId), device(userId)];
    for (const d of three) await presence.connect(d);
    await assert.rejects(presence.connect(device(userId)), (error: Error & { code?: string }) => error.code === "TOO_MANY_CONNECTIONS");
    await presence.disconnect(three[0]!);
    assert.equal(await presence.connect(device(userId)), null);
  });

  it("expires devices that stop heartbeating (a dead replica) and the sweep announces offline exactly once", async () => {
    const kept = device();
    const dead = device();
    await presence.connect(kept);
    await presence.connect(dead);
    const lastBeat = Date.now();
    for (let i = 0; i < 4; i++) {
      await sleep(TTL_MS / 3);
      assert.deepEqual(await presence.heartbeat([kept]), []);
    }
    const update = await sweptOffline(dead.userId);
    assert.equal(update.online, false);
    // Last seen is the device's last heartbeat, not the moment of the sweep.
    assert.ok(Math.abs(Date.parse(update.lastSeen!) - lastBeat) < 250, `lastSeen ${update.lastSeen} vs ${new Date(lastBeat).toISOString()}`);
    assert.deepEqual((await presence.sweep()).filter((u) => u.userId === dead.userId), []);
    assert.deepEqual([...(await devices.onlineAmong([kept.userId, dead.userId]))], [kept.userId]);
    await presence.disconnect(kept);
  });

  it("a heartbeat brings back a device whose entries Redis lost, announcing the user online again", async () => {
    const d = device();
    await presence.connect(d);
    await platform.redis.del(presenceKey(d.userId));
    assert.equal((await devices.onlineAmong([d.userId])).size, 0);
    assert.deepEqual(await presence.heartbeat([d]), [{ userId: d.userId, online: true, lastSeen: null }]);
    assert.equal((await devices.onlineAmong([d.userId])).size, 1);
    assert.deepEqual(await presence.heartbeat([d]), []);
    await presence.disconnect(d);
  });

  it("a drained replica's users stay online through the grace period and are not re-announced when they reconnect", async () => {
    const moving = device();
    const leaving = device();
    await presence.connect(moving);
    await presence.connect(leaving);
    await presence.drain([moving, leaving]);
    // Devices are gone (the cap does not count them) but both users still read as online.
    assert.equal((await devices.onlineAmong([moving.userId, leaving.userId])).size, 2);
    assert.equal(await presence.connect(device(moving.userId)), null, "reconnecting elsewhere is no transition");
    const update = await sweptOffline(leaving.userId);
    assert.equal(update.online, false);
    assert.deepEqual([...(await devices.onlineAmong([moving.userId, leaving.userId]))], [moving.userId]);
  });

  it("persists transitions to users.is_online/last_seen behind the handshake, never letting an older one overwrite a newer one", async () => {
    const { rows } = await platform.pg.query<{ id: string }>(
      "INSERT INTO users (email, password_hash, full_name) VALUES ($1, 'x', 'Presence Tester') RETURNING id",
      [`presence-${randomUUID()}@example.test`],
    );
    const userId = rows[0]!.id;
    const read = async () => (await platform.pg.query<{ is_online: boolean; last_seen: Date }>("SELECT is_online, last_seen FROM users WHERE id = $1", [userId])).rows[0]!;
    const d = device(userId);
    await presence.connect(d);
    // Written behind: within the flush period, without anyone flushing.
    await waitFor(async () => (await read()).is_online, 2_000, "is_online to be persisted");
    const offline = await presence.disconnect(d);
    await waitFor(async () => !(await read()).is_online, 2_000, "the offline transition to be persisted");
    const stored = await read();
    assert.equal(stored.last_seen.toISOString(), offline!.lastSeen);
    const lastSeen = new LastSeenRepository(platform.pg);
    assert.equal(await lastSeen.record(userId, true, new Date(Date.parse(offline!.lastSeen!) - 1_000)), false);
    assert.equal((await read()).is_online, false);
  });

  it("writes many transitions in batches: the latest per user wins, and reads here see queued ones", async () => {
    const { rows } = await platform.pg.query<{ id: string }>(
      "INSERT INTO users (email, password_hash, full_name) SELECT 'batch-' || $1 || '-' || g || '@example.test', 'x', 'Batch' FROM generate_series(1, 60) g RETURNING id",
      [randomUUID()],
    );
    const ids = rows.map((r) => r.id);
    const base = Date.now() + 60_000;
    const queued = new LastSeenWriter(new LastSeenRepository(platform.pg), platform.logger, 60_000);
    for (const [i, id] of ids.entries()) {
      queued.record(id, true, new Date(base + i));
      queued.record(id, false, new Date(base + i + 1_000));
      queued.record(id, true, new Date(base + i + 500)); // older than the queued offline one: dropped
    }
    // Not yet written (the period is a minute), but the writer's own reads see it.
    const seen = await queued.lastSeenOf(ids);
    assert.equal(seen.get(ids[0]!)?.getTime(), base + 1_000);
    const before = await platform.pg.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE id = ANY($1::uuid[]) AND last_seen >= $2", [ids, new Date(base)]);
    assert.equal(before.rows[0]!.n, 0);
    await queued.flush();
    const after = await platform.pg.query<{ id: string; is_online: boolean; last_seen: Date }>("SELECT id, is_online, last_seen FROM users WHERE id = ANY($1::uuid[])", [ids]);
    for (const row of after.rows) {
      assert.equal(row.is_online, false);
      assert.equal(row.last_seen.getTime(), base + ids.indexOf(row.id) + 1_000);
    }
    // An older transition written later changes nothing.
    assert.equal(await new LastSeenRepository(platform.pg).recordMany([{ userId: ids[0]!, online: true, at: new Date(base) }]), 0);
  });

  it("the daily reconcile marks offline users PostgreSQL still shows online without any device", async () => {
    const { rows } = await platform.pg.query<{ id: string }>(
      "INSERT INTO users (email, password_hash, full_name, is_online, last_seen) VALUES ($1, 'x', 'Stale', true, now() - interval '1 hour'), ($2, 'x', 'Live', true, now() - interval '1 hour') RETURNING id",
      [`stale-${randomUUID()}@example.test`, `live-${randomUUID()}@example.test`],
    );
    const [stale, live] = rows.map((r) => r.id) as [string, string];
    await devices.connect(device(live), 3);
    const result = await presence.reconcileTask().run(new Date());
    assert.ok(result.corrected! >= 1);
    const after = await platform.pg.query<{ id: string; is_online: boolean }>("SELECT id, is_online FROM users WHERE id = ANY($1::uuid[])", [[stale, live]]);
    assert.deepEqual(Object.fromEntries(after.rows.map((r) => [r.id, r.is_online])), { [stale]: false, [live]: true });
  });
});
