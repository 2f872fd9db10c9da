import assert from "node:assert/strict";
import type { Platform } from "../../shared/runtime/platform.js";
import { type Composition, type Services } from "../../shared/runtime/services.js";
import { startWorkers, type WorkerHost } from "../../workers/worker-host.js";
import { waitFor } from "../helpers/ports.js";
import { createTestPlatform } from "../helpers/platform.js";
import { createTestUser, type TestUser } from "../helpers/users.js";

/**
 * The daily e-mail digest, end to end through the development outbox: real
 * follows and reactions produce the notifications, the scheduler is declared,
 * the job runs in a worker, preferences decide what is mailed, and a second
 * run of the same period sends nothing.
 */
describe("notifications: the e-mail digest", function () {
  this.timeout(90_000);
  let platform: Platform;
  let composition: Composition;
  let services: Services;
  let workers: WorkerHost;

  before(async () => {
    ({ platform, composition, services } = await createTestPlatform());
    // Tests run without schedulers; this one applies the digest's, as a booting worker does.
    workers = await startWorkers(platform, composition.jobs, 0, { schedules: composition.jobs.schedules.filter((s) => s.id === "notifications-email-digest") });
  });
  after(async () => {
    await workers.close(2_000);
    await services.events.flush();
    await platform.close();
  });

  const actorOf = (user: TestUser) => ({ userId: user.userId, sessionId: user.sessionId, roles: ["user"] });
  const digestsTo = (user: TestUser) => services.outbox.sentTo(user.email).filter((message) => message.kind === "notification_digest");

  /** A user with a profile and a verified address. */
  async function verifiedUser(): Promise<TestUser> {
    const user = await createTestUser(services);
    await services.profiles.ensureProfile({ userId: user.userId, displayName: user.fullName });
    await platform.pg.query("UPDATE users SET email_verified_at = now() WHERE id = $1", [user.userId]);
    return user;
  }

  async function setEmail(user: TestUser, types: Record<string, boolean>): Promise<void> {
    const changes = Object.fromEntries(Object.entries(types).map(([type, email]) => [type, { email }]));
    await services.notifications.notifications.setPreferences(user.userId, changes, (switches) => services.profiles.updateOwn(actorOf(user), { notificationPreferences: switches }));
  }

  async function unreadTypes(user: TestUser): Promise<string[]> {
    return (await services.notifications.notifications.list(user.userId, { unreadOnly: true, limit: 50 })).items.map((item) => item.type).sort();
  }

  it("mails each user the unread groups of their e-mail types since the last digest, once per period, and nothing to users with nothing new", async () => {
    const [reader, fans, idle, optedOut, unverified] = [await verifiedUser(), await Promise.all([verifiedUser(), verifiedUser(), verifiedUser()]), await verifiedUser(), await verifiedUser(), await createTestUser(services)];
    await services.profiles.ensureProfile({ userId: unverified.userId, displayName: unverified.fullName });
    await setEmail(reader, { follow: true });
    await setEmail(idle, { follow: true });
    await setEmail(optedOut, { follow: false, system: false });
    await setEmail(unverified, { follow: true });
    for (const fan of fans) {
      await services.follows.follow(actorOf(fan), reader.userId);
      await services.follows.follow(actorOf(fan), optedOut.userId);
      await services.follows.follow(actorOf(fan), unverified.userId);
    }
    const post = await services.posts.posts.create(actorOf(reader), { text: "my post", media: [], visibility: "public" });
    await services.posts.reactions.react(actorOf(fans[0]!), post.id, undefined, "like");
    await waitFor(async () => (await unreadTypes(reader)).join() === "follow,post_like" && (await unreadTypes(optedOut)).length === 1 && (await unreadTypes(unverified)).length === 1, 20_000, "notifications stored");

    // The scheduler is declared and applied by the worker host.
    const scheduler = await platform.jobs.queue("notifications").getJobScheduler("notifications-email-digest");
    assert.equal(scheduler?.pattern, "0 8 * * *");

    // The scheduled run, as the scheduler queues it, in the worker.
    await platform.jobs.add("notifications.email-digest", {});
    await waitFor(async () => digestsTo(reader).length === 1, 20_000, "the reader's digest");
    const [digest] = digestsTo(reader);
    assert.equal(digest!.subject, "You have 1 new notification");
    assert.match(digest!.text, /New followers: .+ and 2 others started following you/);
    assert.doesNotMatch(digest!.text, /reacted/, "post_like is not an e-mail type of the reader");
    assert.match(digest!.text, /\/notifications/);
    assert.deepEqual([digestsTo(idle).length, digestsTo(optedOut).length, digestsTo(unverified).length], [0, 0, 0], "nothing new, e-mail off, unverified address");

    // Running the same period again (a retry, a second worker) sends nothing more.
    assert.equal((await services.notifications.digests.runBatch({})).sent, 0);
    assert.equal(digestsTo(reader).length, 1);

    // The next period mails only what changed since the last digest, and skips a reader who has read it all.
    const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
    assert.equal((await services.notifications.digests.runBatch({}, tomorrow)).sent, 0, "nothing new since the last digest");
    const late = await verifiedUser();
    await services.follows.follow(actorOf(late), reader.userId);
    await waitFor(async () => (await services.notifications.notifications.list(reader.userId, { limit: 5 })).items[0]?.count === 4, 20_000, "the group grew");
    const dayAfter = new Date(Date.now() + 2 * 24 * 3600 * 1000);
    // Two runs of one period racing (a retried job, two workers): one digest, claimed by one of them.
    const [first, second] = await Promise.all([services.notifications.digests.runBatch({}, dayAfter), services.notifications.digests.runBatch({}, dayAfter)]);
    assert.equal(first.sent + second.sent, 1);
    assert.equal(digestsTo(reader).length, 2);
    assert.match(digestsTo(reader)[1]!.text, /and 3 others started following you/);
    await services.follows.follow(actorOf(idle), reader.userId);
    await waitFor(async () => (await services.notifications.notifications.list(reader.userId, { limit: 5 })).items[0]?.count === 5, 20_000, "the group grew again");
    await services.notifications.notifications.markRead(reader.userId, { all: true });
    await services.notifications.digests.runBatch({}, new Date(Date.now() + 3 * 24 * 3600 * 1000));
    assert.equal(digestsTo(reader).length, 2, "read notifications are not mailed");
  });
});
