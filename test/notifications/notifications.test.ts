import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { Platform } from "../../shared/runtime/platform.js";
import { type Composition, type Services } from "../../shared/runtime/services.js";
import { startWorkers, type WorkerHost } from "../../workers/worker-host.js";
import { waitFor } from "../helpers/ports.js";
import { createTestPlatform } from "../helpers/platform.js";
import { createProfileUsers, type ProfileUser } from "../profiles/profile-fixtures.js";

/**
 * Notifications produced by their real source actions (follows, requests,
 * chat messages, group invites), through the durable events and a running
 * worker: preferences, blocks, mutes, grouping and de-duplication.
 */
describe("notifications from their sources", function () {
  this.timeout(120_000);
  let platform: Platform;
  let composition: Composition;
  let services: Services;
  let workers: WorkerHost;

  before(async () => {
    ({ platform, composition, services } = await createTestPlatform());
    workers = await startWorkers(platform, composition.jobs, 0);
  });
  after(async () => {
    await workers.close(2_000);
    await services.events.flush();
    await platform.close();
  });

  const users = <N extends number>(n: N) => createProfileUsers(services, n);
  const list = (user: ProfileUser, query: { type?: "follow" | "message" | "group_mention" | "group_invite" | "follow_request" | "follow_accepted" } = {}) =>
    services.notifications.notifications.list(user.userId, { ...query, limit: 50 });
  const stored = (user: ProfileUser) => platform.mongo.db.collection("notifications").find({ recipientId: user.userId }).toArray();

  it("20 follows fold into one group with a count of 20; an unfollow takes its actor out", async () => {
    const [star, ...fans] = await users(21);
    for (const fan of fans) await services.follows.follow(fan.actor, star.userId);
    await waitFor(async () => (await list(star, { type: "follow" })).items[0]?.count === 20, 30_000, "20 follows grouped");
    const page = await list(star, { type: "follow" });
    assert.equal(page.items.length, 1, "one group");
    const group = page.items[0]!;
    assert.equal(group.count, 20);
    assert.equal(group.actorIds.length, 3, "the latest three actors");
    assert.equal(group.actorIds[0], fans[19]!.userId, "newest first");
    assert.match(group.body, /and 19 others started following you$/);
    assert.deepEqual(group.link, { route: "profile", params: { userId: fans[19]!.userId } });
    assert.equal((await services.notifications.notifications.unreadCount(star.userId)).unreadCount, 1, "unread counts groups");

    await services.follows.unfollow(fans[19]!.actor, star.userId);
    await waitFor(async () => (await list(star, { type: "follow" })).items[0]?.count === 19, 20_000, "the unfollower left the group");
    const after = (await list(star, { type: "follow" })).items[0]!;
    assert.ok(!after.actorIds.includes(fans[19]!.userId));
    const docs = await stored(star);
    assert.equal(docs.filter((d) => d.type === "unfollow").length, 0, "unfollows are opt-in (off by default)");
  });

  it("follow requests and acceptances notify the other side", async () => {
    const [owner, fan] = await users(2);
    await services.profiles.updateOwn(owner.actor, { privacy: { isPrivate: true } });
    await services.follows.follow(fan.actor, owner.userId);
    await waitFor(async () => (await list(owner, { type: "follow_request" })).items.length === 1, 20_000, "request notified");
    await services.follows.acceptRequest(owner.actor, fan.userId);
    await waitFor(async () => (await list(fan, { type: "follow_accepted" })).items.length === 1, 20_000, "acceptance notified");
    assert.match((await list(fan, { type: "follow_accepted" })).items[0]!.body, /accepted your follow request/);
  });

  it("preferences, blocks and the self rule suppress exactly what they say", async () => {
    const [me, stranger, friend, blocked] = await users(4);
    await services.follows.follow(me.actor, friend.userId);
    await services.notifications.notifications.setPreferences(me.userId, { follow: { from: "following" } }, async () => undefined);
    await services.blocks.block(me.actor, blocked.userId);
    const notify = services.notifications.notifications;
    const base = { type: "post_like" as const, target: { kind: "post" as const, id: randomUUID() }, link: { route: "post" as const, params: {} }, at: new Date() };
    assert.equal(await notify.notify({ ...base, recipientId: me.userId, actorId: me.userId, eventId: randomUUID() }), "dropped:self");
    assert.equal(await notify.notify({ ...base, recipientId: me.userId, actorId: blocked.userId, eventId: randomUUID() }), "dropped:blocked");
    await services.follows.follow(stranger.actor, me.userId);
    await services.follows.follow(friend.actor, me.userId);
    await waitFor(async () => (await list(me, { type: "follow" })).items.length === 1, 20_000, "the friend's follow");
    await services.events.flush();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const follows = (await list(me, { type: "follow" })).items;
    assert.deepEqual(follows[0]!.actorIds, [friend.userId], "only people I follow, as asked");

    await services.notifications.notifications.setPreferences(me.userId, { post_like: { inApp: false, push: false } }, (switches) =>
      services.profiles.updateOwn(me.actor, { notificationPreferences: switches }),
    );
    assert.equal(await notify.notify({ ...base, recipientId: me.userId, actorId: friend.userId, eventId: randomUUID() }), "dropped:preference");
    const prefs = await notify.getPreferences(me.userId);
    assert.deepEqual(prefs.types.post_like, { inApp: false, push: false, email: false, from: "everyone" });
    assert.equal(prefs.types.follow.from, "following");
  });

  it("a redelivered event (same id) creates nothing twice", async () => {
    const [me, actor] = await users(2);
    const request = {
      recipientId: me.userId,
      actorId: actor.userId,
      type: "post_comment" as const,
      target: { kind: "post" as const, id: randomUUID() },
      link: { route: "post" as const, params: {} },
      data: { preview: "nice" },
      eventId: randomUUID(),
      at: new Date(),
    };
    const outcomes = await Promise.all([1, 2, 3].map(() => services.notifications.notifications.notify(request)));
    assert.deepEqual(outcomes.filter((o) => o === "stored").length, 1, outcomes.join(","));
    assert.equal((await stored(me)).length, 1);
  });

  it("a message notifies offline, unmuted recipients; a mention notifies even in a muted group", async () => {
    const [sender, offline, muted] = await users(3);
    const group = await services.chat.groups.create(sender.actor, { title: "Team", memberIds: [offline.userId, muted.userId] });
    await waitFor(async () => (await list(offline, { type: "group_invite" })).items.length === 1, 20_000, "group invite");
    await services.chat.conversations.updateSettings(muted.actor, { conversationId: group.id, mutedUntil: new Date(Date.now() + 3600_000).toISOString() } as never);
    const send = (text: string, mentions: string[] = []) =>
      services.chat.messages.send(sender.actor, { conversationId: group.id, clientMessageId: `c-${randomUUID()}`, content: { type: "text", text }, mentions });
    await send("first");
    await send("second");
    await send("hey @muted", [muted.userId]);
    await waitFor(async () => (await list(muted, { type: "group_mention" })).items.length === 1, 20_000, "mention in a muted group");
    await waitFor(async () => (await list(offline, { type: "message" })).items[0]?.count === 3, 20_000, "three messages in one notification");
    const messages = (await list(offline, { type: "message" })).items;
    assert.equal(messages.length, 1);
    assert.equal(messages[0]!.link.params.conversationId, group.id);
    assert.equal((await list(muted, { type: "message" })).items.length, 0, "muted: no message notifications");
  });

  it("a message to a recipient with a connected device is stored without an outbox entry and queues nothing; once they disconnect, the next one notifies", async () => {
    const [sender, reader] = await users(2);
    const direct = await services.chat.conversations.openDirect(sender.actor, reader.userId);
    const device = { userId: reader.userId, socketId: `sock-${randomUUID()}` };
    await services.presence.connect(device);
    const send = (text: string) => services.chat.messages.send(sender.actor, { conversationId: direct.id, clientMessageId: `c-${randomUUID()}`, content: { type: "text", text } });
    const seen = await send("you are here");
    const stored = await platform.mongo.db.collection("messages").findOne({ _id: seen.id as never, conversationId: direct.id });
    assert.ok(stored, "the message is stored");
    assert.equal(stored.outbox, undefined, "no outbox marker: nobody to notify");
    await services.events.flush();
    const deliveries = async () =>
      (await platform.jobs.queue("events").getJobs(["waiting", "active", "completed", "delayed", "failed"])).filter((job) => job.data.payload?.conversationId === direct.id);
    assert.equal((await deliveries()).length, 0, "no delivery job for the connected recipient");

    await services.presence.disconnect(device);
    await send("are you there?");
    await waitFor(async () => (await list(reader, { type: "message" })).items.length === 1, 20_000, "the offline recipient notified");
    const jobs = await deliveries();
    assert.deepEqual(jobs.map((job) => job.data.name), ["chat.message-to-offline"], "one delivery, for the message sent while offline");
    assert.equal((await list(reader, { type: "message" })).items[0]!.count, 1, "the first message, seen on a connected device, is not counted");
  });

  it("read marks and deletes keep the unread count equal to what the store holds", async () => {
    const [me, ...others] = await users(4);
    for (const other of others) {
      await services.notifications.notifications.notify({ recipientId: me.userId, actorId: other.userId, type: "post_mention", target: { kind: "post", id: randomUUID() }, link: { route: "post", params: {} }, eventId: randomUUID(), at: new Date() });
    }
    const page = await list(me);
    assert.equal(page.items.length, 3);
    const check = async () => {
      const count = await platform.mongo.db.collection("notifications").countDocuments({ recipientId: me.userId, read: false });
      assert.equal((await services.notifications.notifications.unreadCount(me.userId)).unreadCount, count);
      return count;
    };
    assert.equal(await check(), 3);
    assert.equal((await services.notifications.notifications.markRead(me.userId, { ids: [page.items[0]!.id] })).unreadCount, 2);
    assert.equal(await check(), 2);
    await services.notifications.notifications.delete(me.userId, page.items[1]!.id);
    assert.equal(await check(), 1);
    assert.equal((await services.notifications.notifications.markRead(me.userId, { all: true })).unreadCount, 0);
    await assert.rejects(services.notifications.notifications.delete(others[0]!.userId, page.items[2]!.id), { code: "NOT_FOUND" });
  });

  it("reactions and comments on a post notify its author: 5 reactions fold into one group", async () => {
    const [author, ...fans] = await users(6);
    const post = await services.posts.posts.create(author.actor, { text: "hello world", media: [], visibility: "public" });
    for (const fan of fans) await services.posts.reactions.react(fan.actor, post.id, undefined, "like");
    await services.posts.comments.create(fans[0]!.actor, post.id, { text: "nice post" } as never);
    const listAll = () => services.notifications.notifications.list(author.userId, { limit: 20 });
    await waitFor(async () => {
      const items = (await listAll()).items;
      return items.some((n) => n.type === "post_like" && n.count === 5) && items.some((n) => n.type === "post_comment");
    }, 30_000, "reactions grouped and the comment notified");
    const items = (await listAll()).items;
    assert.equal(items.filter((n) => n.type === "post_like").length, 1);
    assert.deepEqual(items.find((n) => n.type === "post_comment")!.link.params.postId, post.id);
  });
});
