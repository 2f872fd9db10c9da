import assert from "node:assert/strict";
import { createECDH, createDecipheriv, createHmac, randomBytes, randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { importJWK, jwtVerify } from "jose";
import webpush from "web-push";
import { PushDelivery } from "../../shared/notifications/push-delivery.js";
import type { DevPushOutbox } from "../../shared/notifications/push/dev-push-outbox.js";
import { PushSubscriptionRepository } from "../../shared/notifications/push-subscription.repository.js";
import { WebPushSender } from "../../shared/notifications/push/web-push.sender.js";
import type { Platform } from "../../shared/runtime/platform.js";
import { type Composition, type Services } from "../../shared/runtime/services.js";
import { startWorkers, type WorkerHost } from "../../workers/worker-host.js";
import { httpCall } from "../helpers/http.js";
import { waitFor } from "../helpers/ports.js";
import { spawnRole, type RoleProcess } from "../helpers/processes.js";
import { createTestPlatform } from "../helpers/platform.js";
import { connectSocket, nextEvent } from "../helpers/sockets.js";
import { createTestUser } from "../helpers/users.js";
import { registerProfileUser } from "../profiles/profile-fixtures.js";

const b64url = (buffer: Buffer): string => buffer.toString("base64url");
const hmac = (key: Buffer, data: Buffer): Buffer => createHmac("sha256", key).update(data).digest();

/** Decrypts an RFC 8291 (aes128gcm) Web Push body with the subscriber's keys. */
function decryptWebPush(body: Buffer, receiver: { ecdh: ReturnType<typeof createECDH>; auth: Buffer }): string {
  const salt = body.subarray(0, 16);
  const idLength = body[20]!;
  const senderPublic = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  const receiverPublic = receiver.ecdh.getPublicKey();
  const shared = receiver.ecdh.computeSecret(senderPublic);
  const prkKey = hmac(receiver.auth, shared);
  const ikm = hmac(prkKey, Buffer.concat([Buffer.from("WebPush: info\0"), receiverPublic, senderPublic, Buffer.from([1])]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from("Content-Encoding: aes128gcm\0\x01")).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from("Content-Encoding: nonce\0\x01")).subarray(0, 12);
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const plain = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02 and zero padding.
  const end = plain.lastIndexOf(2);
  return plain.subarray(0, end).toString("utf8");
}

describe("notification delivery: web push, sockets on two replicas, announcements, API", function () {
  this.timeout(120_000);
  let platform: Platform;
  let composition: Composition;
  let services: Services;

  before(async () => {
    ({ platform, composition, services } = await createTestPlatform());
  });
  after(async () => {
    await services.events.flush();
    await platform.close();
  });

  it("Web Push reaches a push endpoint with a valid VAPID token and a payload only the subscription's keys decrypt", async () => {
    const vapid = webpush.generateVAPIDKeys();
    const receiver = { ecdh: createECDH("prime256v1"), auth: randomBytes(16) };
    receiver.ecdh.generateKeys();
    const received: Array<{ authorization: string; encoding: string; ttl: string; body: Buffer }> = [];
    // Push services speak HTTPS only: a self-signed certificate for 127.0.0.1, trusted by the sender's agent.
    const dir = mkdtempSync(path.join(os.tmpdir(), "push-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")], { stdio: "ignore" });
    const cert = readFileSync(path.join(dir, "cert.pem"));
    const agent = new https.Agent({ ca: cert });
    const server = https.createServer({ key: readFileSync(path.join(dir, "key.pem")), cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        received.push({ authorization: String(req.headers.authorization), encoding: String(req.headers["content-encoding"]), ttl: String(req.headers.ttl), body: Buffer.concat(chunks) });
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}/push/${randomUUID()}`;
    try {
      const user = await registerProfileUser(services);
      const repository = new PushSubscriptionRepository(platform.mongo.db);
      await repository.upsert({ userId: user.userId, sessionId: randomUUID(), endpoint, keys: { p256dh: b64url(receiver.ecdh.getPublicKey()), auth: b64url(receiver.auth) }, createdAt: new Date() });
      const delivery = new PushDelivery(repository, { onlineAmong: async () => new Set() }, new WebPushSender({ subject: "mailto:ops@example.test", ...vapid }, agent), platform.logger, 600);
      const sent = await delivery.toOfflineDevices(user.userId, { notificationId: "n1", type: "follow", title: "New follower", body: "Ann started following you", link: { route: "profile", params: { userId: "x" } } }, { unreadCount: 4 });
      assert.equal(sent, 1);
      assert.equal(received.length, 1);
      const [push] = received;
      assert.equal(push!.encoding, "aes128gcm");
      assert.equal(push!.ttl, "600");
      const match = /^vapid t=([^,]+), k=([A-Za-z0-9_-]+)$/.exec(push!.authorization);
      assert.ok(match, push!.authorization);
      assert.equal(match[2], vapid.publicKey, "the application server key");
      const point = Buffer.from(vapid.publicKey, "base64url");
      const key = await importJWK({ kty: "EC", crv: "P-256", x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33, 65)) }, "ES256");
      const { payload } = await jwtVerify(match[1]!, key, { audience: new URL(endpoint).origin });
      assert.equal(payload.sub, "mailto:ops@example.test");
      assert.ok(Number(payload.exp) > Date.now() / 1000);
      const decrypted = JSON.parse(decryptWebPush(push!.body, receiver));
      assert.deepEqual(decrypted, { notificationId: "n1", type: "follow", title: "New follower", body: "Ann started following you", link: { route: "profile", params: { userId: "x" } }, unreadCount: 4 });

      // A connected user is not buzzed; a subscription the push service says is gone is removed.
      const online = new PushDelivery(repository, { onlineAmong: async (ids) => new Set(ids) }, new WebPushSender({ subject: "mailto:ops@example.test", ...vapid }, agent), platform.logger);
      assert.equal(await online.toOfflineDevices(user.userId, { notificationId: "n2", type: "follow", title: "t", body: "b", link: { route: "profile", params: {} } }, { unreadCount: 0 }), 0);
      server.removeAllListeners("request");
      server.on("request", (_req, res) => res.writeHead(410).end());
      assert.equal(await delivery.toOfflineDevices(user.userId, { notificationId: "n3", type: "follow", title: "t", body: "b", link: { route: "profile", params: {} } }, { unreadCount: 0 }), 0);
      assert.equal((await repository.forUser(user.userId)).length, 0);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("across processes", () => {
    let gateways: RoleProcess[] = [];
    let api: RoleProcess;
    let worker: RoleProcess;

    before(async () => {
      [gateways[0], gateways[1], api, worker] = await Promise.all([spawnRole("gateway"), spawnRole("gateway"), spawnRole("api"), spawnRole("worker", { WORKER_QUEUES: "events,notifications" })]);
    });
    after(async () => {
      await Promise.all([...gateways, api, worker].map((p) => p?.stop()));
      gateways = [];
    });

    it("a follow reaches the followee's devices on both replicas as notification:new and an unread count", async () => {
      const [star, fan] = [await createTestUser(services), await createTestUser(services)];
      const sockets = await Promise.all(gateways.map((g) => connectSocket(g.url, star.accessToken)));
      try {
        const pushed = sockets.map((socket) => nextEvent<{ type: string; count: number }>(socket, "notification:new", 20_000));
        const counts = sockets.map((socket) => nextEvent<{ unreadCount: number }>(socket, "notification:unread-count", 20_000));
        const res = await httpCall(api.url, "POST", `/api/profiles/${star.userId}/follow`, { token: fan.accessToken });
        assert.ok(res.status < 300, JSON.stringify(res.body));
        for (const event of await Promise.all(pushed)) assert.equal(event.type, "follow");
        for (const event of await Promise.all(counts)) assert.equal(event.unreadCount, 1);
        const listed = await httpCall(api.url, "GET", "/api/notifications?limit=10", { token: star.accessToken });
        assert.equal(listed.status, 200);
        assert.equal(listed.body.items[0].type, "follow");
        assert.equal((await httpCall(api.url, "GET", "/api/notifications/unread-count", { token: star.accessToken })).body.unreadCount, 1);
      } finally {
        for (const socket of sockets) socket.close();
      }
    });

    it("the API refuses malformed input and other users' notifications, and changes nothing", async () => {
      const [me, other] = [await createTestUser(services), await createTestUser(services)];
      const bad: Array<[string, string, unknown]> = [
        ["GET", "/api/notifications?limit=500", undefined],
        ["GET", "/api/notifications?type=nonsense", undefined],
        ["GET", "/api/notifications?cursor=%00", undefined],
        ["POST", "/api/notifications/read", { ids: ["a"], all: true }],
        ["POST", "/api/notifications/read", { ids: [{ $gt: "" }] }],
        ["POST", "/api/notifications/read", { $where: "1" }],
        ["PUT", "/api/notifications/preferences", { types: { follow: { inApp: "yes" } } }],
        ["PUT", "/api/notifications/preferences", { types: { nonsense: { inApp: true } } }],
        ["POST", "/api/notifications/push-subscriptions", { endpoint: "ftp://x/y", keys: { p256dh: "a", auth: "b" } }],
        ["POST", "/api/admin/announcements", { title: "a\u0000b", body: "x" }],
        ["PUT", `/api/notifications/subscriptions/${other.userId}`, {}],
        ["PUT", `/api/notifications/subscriptions/${other.userId}`, { posts: "yes" }],
        ["PUT", `/api/notifications/subscriptions/${other.userId}`, { posts: true, $set: 1 }],
        ["PUT", "/api/notifications/subscriptions/a%20b", { posts: true }],
      ];
      for (const [method, path, body] of bad) {
        const res = await httpCall(api.url, method, path, { token: me.accessToken, body });
        assert.equal(res.status, 400, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      }
      assert.equal((await httpCall(api.url, "GET", "/api/notifications", {})).status, 401);
      assert.equal((await httpCall(api.url, "POST", "/api/admin/announcements", { token: me.accessToken, body: { title: "Hi", body: "all" } })).status, 403);
      const notFollowing = await httpCall(api.url, "PUT", `/api/notifications/subscriptions/${other.userId}`, { token: me.accessToken, body: { posts: true } });
      assert.equal(notFollowing.status, 403, "only followers may ask to hear of new posts");
      assert.deepEqual((await httpCall(api.url, "GET", `/api/notifications/subscriptions/${other.userId}`, { token: me.accessToken })).body, { posts: false, videos: false });
      await services.notifications.notifications.notify({ recipientId: other.userId, actorId: me.userId, type: "post_mention", target: { kind: "post", id: randomUUID() }, link: { route: "post", params: {} }, eventId: randomUUID(), at: new Date() });
      const theirs = (await services.notifications.notifications.list(other.userId, { limit: 5 })).items[0]!;
      assert.equal((await httpCall(api.url, "DELETE", `/api/notifications/${theirs.id}`, { token: me.accessToken })).status, 404);
      await httpCall(api.url, "POST", `/api/notifications/${theirs.id}/read`, { token: me.accessToken });
      assert.equal((await services.notifications.notifications.list(other.userId, { limit: 5 })).items[0]!.read, false, "another user's notification is untouched");
    });
  });

  it("an announcement to 2,100 users fans out in batches of 1,000, and a retried batch writes nothing twice", async () => {
    const role = `role_${randomBytes(3).toString("hex")}`;
    await platform.pg.query("INSERT INTO roles (name) VALUES ($1)", [role]);
    const { rows } = await platform.pg.query<{ user_id: string }>(
      `WITH created AS (
         INSERT INTO users (email, full_name, password_hash)
         SELECT 'bulk-' || $1 || '-' || g || '@example.test', 'Bulk ' || g, 'x' FROM generate_series(1, 2100) g RETURNING id)
       INSERT INTO user_roles (user_id, role_id) SELECT created.id, (SELECT id FROM roles WHERE name = $1) FROM created RETURNING user_id`,
      [role],
    );
    const recipients = rows.map((row) => row.user_id);
    const admin = await createTestUser(services, { roles: ["admin"] });
    const workers: WorkerHost = await startWorkers(platform, composition.jobs, 0);
    try {
      const { announcementId } = await services.notifications.announcements.announce({ userId: admin.userId }, { title: "Maintenance", body: "Tonight at 2am", role });
      const count = () => platform.mongo.db.collection("notifications").countDocuments({ recipientId: { $in: recipients }, groupKey: `system:announcement:${announcementId}` });
      await waitFor(async () => (await count()) === 2100, 60_000, "every recipient notified").catch(async (error: Error) => {
        const failed = await platform.jobs.queue("notifications").getJobs(["failed"]);
        throw new Error(`${error.message}; stored ${await count()}; failed: ${failed.map((j) => j.failedReason).join("; ")}`);
      });
      // The last batch completes after its insert (its pushes come after it).
      const completed = async () => (await platform.jobs.queue("notifications").getJobs(["completed"])).filter((job) => job.data.announcementId === announcementId);
      await waitFor(async () => (await completed()).length >= 3, 20_000, "three batches completed");
      const batches = await completed();
      assert.equal(batches.length, 3, "three batches of at most 1,000");
      const again = await services.notifications.announcements.runBatch(batches[0]!.data);
      assert.equal(again.inserted, 0, "a retried batch inserts nothing");
      assert.equal(await count(), 2100);
    } finally {
      await workers.close(2_000);
    }
  });

  it("an announcement is pushed to the devices of recipients with none connected and the system push switch on, once even when the batch is retried", async () => {
    const role = `role_${randomBytes(3).toString("hex")}`;
    await platform.pg.query("INSERT INTO roles (name) VALUES ($1)", [role]);
    const [away, online, switchedOff, noDevice] = await Promise.all([0, 1, 2, 3].map(() => registerProfileUser(services, { roles: [role] })));
    const outbox = services.notifications.pushSender as DevPushOutbox;
    const endpointOf = (user: { userId: string }) => `https://push.example.test/${user.userId}`;
    for (const user of [away!, online!, switchedOff!]) {
      await services.notifications.pushSubscriptions.register(user.actor, { endpoint: endpointOf(user), keys: { p256dh: "BPk", auth: "au" } });
    }
    await services.presence.connect({ userId: online!.userId, socketId: `sock-${randomUUID()}` });
    await services.notifications.notifications.setPreferences(switchedOff!.userId, { system: { push: false } }, async () => undefined);
    const admin = await createTestUser(services, { roles: ["admin"] });
    const { announcementId } = await services.notifications.announcements.announce({ userId: admin.userId }, { title: "Upgrade", body: "New stickers", role });
    const [job] = (await platform.jobs.queue("notifications").getJobs(["waiting", "delayed", "prioritized"])).filter((j) => j.data.announcementId === announcementId);
    assert.ok(job, "the first batch is queued");
    const pushesFor = (user: { userId: string }) => outbox.sent.filter((p) => p.endpoint === endpointOf(user) && p.payload.type === "system" && p.payload.title === "Upgrade");

    const first = await services.notifications.announcements.runBatch(job.data);
    assert.equal(first.inserted, 4);
    assert.equal(pushesFor(away!).length, 1, "the recipient with no device connected is pushed");
    const [pushed] = pushesFor(away!);
    assert.equal(pushed!.payload.body, "New stickers");
    assert.deepEqual(pushed!.payload.link, { route: "announcement", params: { announcementId } });
    assert.equal(pushed!.payload.unreadCount, 1);
    const stored = (await services.notifications.notifications.list(away!.userId, { limit: 1 })).items[0]!;
    assert.equal(pushed!.payload.notificationId, stored.id, "the push names the stored notification");
    assert.equal(pushesFor(online!).length, 0, "a connected user is not buzzed");
    assert.equal(pushesFor(switchedOff!).length, 0, "the system push switch is off");
    assert.equal((await services.notifications.notifications.list(switchedOff!.userId, { limit: 1 })).items[0]?.id !== undefined, true, "but it is stored in the app");
    assert.equal((await services.notifications.notifications.list(noDevice!.userId, { limit: 1 })).items.length, 1);

    const again = await services.notifications.announcements.runBatch(job.data);
    assert.equal(again.inserted, 0);
    assert.equal(pushesFor(away!).length, 1, "a retried batch pushes nothing twice");
    await job.remove();
  });
});
