import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { AppError } from "../../shared/errors/app-error.js";
import type { ChatChange } from "../../shared/chat/chat.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import type { TestUser } from "../helpers/users.js";
import { makeUsers, textMessage } from "./chat-fixtures.js";

describe("chat: receipts, unread counts, edits, deletions, reactions and sync", function () {
  let platform: Platform;
  let services: Services;
  let ann: TestUser;
  let bob: TestUser;

  before(async function () {
    ({ platform, services } = await createTestPlatform());
    [ann, bob] = (await makeUsers(services, 2)) as [TestUser, TestUser];
  });

  after(async () => platform.close());

  const unreadOf = async (user: TestUser, conversationId: string) =>
    (await services.chat.conversations.list(user, { limit: 50, archived: false })).items.find((c) => c.id === conversationId)?.unreadCount;

  const deleteUnreadKeys = async (userId: string) => {
    // Keys carry the app prefix; the app connection adds it to KEYS but SCAN patterns need it spelled out.
    const prefix = platform.config.REDIS_PREFIX;
    const keys = await platform.redis.keys(`${prefix}unread:*:${userId}`);
    if (keys.length > 0) await platform.redis.del(...keys.map((k) => k.slice(prefix.length)));
    return keys.length;
  };

  it("counts unread from the read cursor, lowers it on read, and rebuilds it when Redis lost it", async () => {
    const [cat, dan] = (await makeUsers(services, 2)) as [TestUser, TestUser];
    const conversation = await services.chat.conversations.openDirect(cat, dan.userId);
    assert.equal(await unreadOf(dan, conversation.id), 0);
    const sent = [];
    for (let i = 0; i < 4; i++) sent.push(await services.chat.messages.send(cat, textMessage(conversation.id, `n${i}`)));
    await services.chat.messages.send(dan, textMessage(conversation.id, "own messages never count"));
    assert.equal(await unreadOf(dan, conversation.id), 4);
    assert.equal(await unreadOf(cat, conversation.id), 1);

    const read = await services.chat.receipts.read(dan, { conversationId: conversation.id, seq: sent[1]!.seq });
    assert.equal(read.unreadCount, 2);
    assert.equal(read.lastReadSeq, sent[1]!.seq);
    assert.equal(await unreadOf(dan, conversation.id), 2);
    // Reading backwards changes nothing.
    const stale = await services.chat.receipts.read(dan, { conversationId: conversation.id, seq: 1 });
    assert.equal(stale.unreadCount, 2);
    assert.equal(stale.lastReadSeq, sent[1]!.seq);

    assert.ok((await deleteUnreadKeys(dan.userId)) >= 1);
    assert.equal(await unreadOf(dan, conversation.id), 2, "rebuilt from the cursor");
    await services.chat.messages.send(cat, textMessage(conversation.id, "after the rebuild"));
    assert.equal(await unreadOf(dan, conversation.id), 3);
    await deleteUnreadKeys(dan.userId);
    // A read cursor beyond the end is clamped to the conversation's last seq.
    const all = await services.chat.receipts.read(dan, { conversationId: conversation.id, seq: 1_000_000 });
    assert.equal(all.unreadCount, 0);
    assert.ok(all.lastReadSeq < 1_000_000);
    assert.equal(await unreadOf(dan, conversation.id), 0);
  });

  it("moves delivered and read cursors forward only and reports them in the member list", async () => {
    const conversation = await services.chat.conversations.openDirect(ann, bob.userId);
    const m = await services.chat.messages.send(ann, textMessage(conversation.id, "deliver me"));
    const delivered = await services.chat.receipts.delivered(bob, { conversationId: conversation.id, seq: m.seq });
    assert.equal(delivered.lastDeliveredSeq, m.seq);
    const again = await services.chat.receipts.delivered(bob, { conversationId: conversation.id, seq: 0 });
    assert.equal(again.lastDeliveredSeq, m.seq);
    const sync = await services.chat.sync.sync(ann, { conversations: [{ conversationId: conversation.id, seq: m.seq }], limit: 200 });
    const bobReceipt = sync.conversations[0]?.receipts.find((r) => r.userId === bob.userId);
    assert.equal(bobReceipt?.lastDeliveredSeq, m.seq);
  });

  it("edits, deletes and reacts with the rules of who may do what", async () => {
    const conversation = await services.chat.conversations.openDirect(ann, bob.userId);
    const m = await services.chat.messages.send(ann, textMessage(conversation.id, "typo hre"));
    const edited = await services.chat.changes.edit(ann, { conversationId: conversation.id, messageId: m.id, text: "typo here" });
    assert.equal(edited.kind, "edited");
    await assert.rejects(services.chat.changes.edit(bob, { conversationId: conversation.id, messageId: m.id, text: "mine now" }), (e: unknown) => e instanceof AppError && e.code === "FORBIDDEN");
    await services.chat.changes.react(bob, { conversationId: conversation.id, messageId: m.id, emoji: "👍" });
    await services.chat.changes.react(bob, { conversationId: conversation.id, messageId: m.id, emoji: "❤️" });
    await services.chat.changes.react(ann, { conversationId: conversation.id, messageId: m.id, emoji: "😂" });
    let [msg] = (await services.chat.queries.history(bob, { conversationId: conversation.id, after: m.seq - 1, limit: 1 })).messages;
    assert.deepEqual(msg?.content, { type: "text", text: "typo here" });
    assert.ok(msg?.editedAt);
    assert.deepEqual(msg?.reactions, [
      { userId: bob.userId, emoji: "❤️" },
      { userId: ann.userId, emoji: "😂" },
    ]);
    await services.chat.changes.react(bob, { conversationId: conversation.id, messageId: m.id, emoji: null });
    await assert.rejects(services.chat.changes.delete(bob, { conversationId: conversation.id, messageId: m.id, scope: "everyone" }), (e: unknown) => e instanceof AppError && e.code === "FORBIDDEN");

    await services.chat.changes.delete(bob, { conversationId: conversation.id, messageId: m.id, scope: "me" });
    const bobsView = (await services.chat.queries.history(bob, { conversationId: conversation.id, limit: 50 })).messages;
    assert.ok(!bobsView.some((x) => x.id === m.id), "deleted for me is gone for me");
    const annsView = (await services.chat.queries.history(ann, { conversationId: conversation.id, limit: 50 })).messages;
    assert.ok(annsView.some((x) => x.id === m.id), "…and only for me");

    await services.chat.changes.delete(ann, { conversationId: conversation.id, messageId: m.id, scope: "everyone" });
    [msg] = (await services.chat.queries.history(ann, { conversationId: conversation.id, after: m.seq - 1, limit: 1 })).messages;
    assert.equal(msg?.deleted, true);
    assert.equal(msg?.content, null);
    assert.deepEqual(msg?.reactions, []);
    const view = await services.chat.conversations.get(ann, conversation.id);
    if (view.lastMessage?.id === m.id) assert.equal(view.lastMessage.deleted, true);
    await assert.rejects(services.chat.changes.react(bob, { conversationId: conversation.id, messageId: m.id, emoji: "👍" }), (e: unknown) => e instanceof AppError && e.code === "MESSAGE_NOT_FOUND");
    await assert.rejects(services.chat.changes.edit(ann, { conversationId: conversation.id, messageId: m.id, text: "back" }), (e: unknown) => e instanceof AppError && e.code === "MESSAGE_NOT_FOUND");
    await assert.rejects(services.chat.changes.react(bob, { conversationId: conversation.id, messageId: randomUUID(), emoji: "👍" }), (e: unknown) => e instanceof AppError && e.code === "MESSAGE_NOT_FOUND");
  });

  it("syncs an offline device: every message, edit, deletion and reaction after its cursor, in order, once", async () => {
    const [fay, gil] = (await makeUsers(services, 2)) as [TestUser, TestUser];
    const conversation = await services.chat.conversations.openDirect(fay, gil.userId);
    const cursor = (await services.chat.sync.sync(gil, { conversations: [{ conversationId: conversation.id, seq: 0 }], limit: 200 })).conversations[0]!.cursor;
    const a = await services.chat.messages.send(fay, textMessage(conversation.id, "one"));
    const b = await services.chat.messages.send(fay, textMessage(conversation.id, "two"));
    await services.chat.changes.edit(fay, { conversationId: conversation.id, messageId: a.id, text: "one!" });
    await services.chat.changes.react(fay, { conversationId: conversation.id, messageId: b.id, emoji: "🙏" });
    await services.chat.changes.delete(fay, { conversationId: conversation.id, messageId: b.id, scope: "everyone" });
    await services.chat.changes.delete(fay, { conversationId: conversation.id, messageId: a.id, scope: "me" });
    const c = await services.chat.messages.send(fay, textMessage(conversation.id, "three"));

    const changes: ChatChange[] = [];
    let at = cursor;
    for (let page = 0; page < 10; page++) {
      const result = (await services.chat.sync.sync(gil, { conversations: [{ conversationId: conversation.id, seq: at }], limit: 2 })).conversations[0]!;
      assert.equal(result.status, "ok");
      changes.push(...result.changes);
      assert.ok(result.cursor >= at);
      at = result.cursor;
      if (!result.hasMore) break;
    }
    const summary = changes.map((ch) => (ch.kind === "message" ? `message:${ch.message.id}` : `${ch.kind}:${ch.messageId}`));
    assert.deepEqual(summary, [`message:${a.id}`, `message:${b.id}`, `edited:${a.id}`, `reaction:${b.id}`, `deleted:${b.id}`, `message:${c.id}`]);
    const seqs = changes.map((ch) => ch.seq);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
    assert.equal(new Set(seqs).size, seqs.length);
    const again = (await services.chat.sync.sync(gil, { conversations: [{ conversationId: conversation.id, seq: at }], limit: 200 })).conversations[0]!;
    assert.deepEqual(again.changes, []);
    assert.equal(again.cursor, at);
    // Fay's own devices also learn of her delete-for-me.
    const fays = (await services.chat.sync.sync(fay, { conversations: [{ conversationId: conversation.id, seq: cursor }], limit: 200 })).conversations[0]!;
    assert.ok(fays.changes.some((ch) => ch.kind === "deleted" && ch.scope === "me" && ch.messageId === a.id));
    assert.ok(!fays.changes.some((ch) => ch.kind === "message" && ch.message.id === a.id), "the hidden message itself is not replayed to her");
  });

  it("passes over a seq a refused retry consumed without waiting", async () => {
    const [hal, ida] = (await makeUsers(services, 2)) as [TestUser, TestUser];
    const conversation = await services.chat.conversations.openDirect(hal, ida.userId);
    const input = textMessage(conversation.id, "retry me");
    const first = await services.chat.messages.send(hal, input);
    const sameProcess = await services.chat.messages.send(hal, input);
    assert.deepEqual(sameProcess, { ...first, duplicate: true });
    // The retry reaches another replica, which has not seen the first send.
    const other = await createTestPlatform();
    try {
      const retried = await other.services.chat.messages.send(hal, input);
      assert.equal(retried.id, first.id);
      assert.equal(retried.duplicate, true);
    } finally {
      await other.platform.close();
    }
    const next = await services.chat.messages.send(hal, textMessage(conversation.id, "after the retry"));
    assert.ok(next.seq > first.seq + 1, "the retry consumed a seq");
    const result = (await services.chat.sync.sync(ida, { conversations: [{ conversationId: conversation.id, seq: 0 }], limit: 200 })).conversations[0]!;
    assert.equal(result.pending, false);
    assert.equal(result.cursor, next.seq);
    assert.deepEqual(result.changes.map((ch) => ch.seq), [first.seq, next.seq]);
  });

  it("stops at a gap that may still be filled, and passes it once it has settled", async () => {
    const [jay, kim] = (await makeUsers(services, 2)) as [TestUser, TestUser];
    const conversation = await services.chat.conversations.openDirect(jay, kim.userId);
    const first = await services.chat.messages.send(jay, textMessage(conversation.id, "before"));
    // A seq claimed by a write still in flight: claimed, not stored yet.
    const repository = (await import("../../shared/chat/conversation.repository.js")).ConversationRepository;
    const claim = await new repository(platform.mongo.db).claimSeq(conversation.id, jay.userId);
    const after = await services.chat.messages.send(jay, textMessage(conversation.id, "after"));
    assert.equal(claim?.seq, first.seq + 1);
    const now = Date.now();
    const early = (await services.chat.sync.sync(kim, { conversations: [{ conversationId: conversation.id, seq: 0 }], limit: 200 }, now)).conversations[0]!;
    assert.equal(early.pending, true);
    assert.equal(early.cursor, first.seq);
    assert.deepEqual(early.changes.map((ch) => ch.seq), [first.seq]);
    const late = (await services.chat.sync.sync(kim, { conversations: [{ conversationId: conversation.id, seq: early.cursor }], limit: 200 }, now + 60_000)).conversations[0]!;
    assert.equal(late.pending, false);
    assert.deepEqual(late.changes.map((ch) => ch.seq), [after.seq]);
  });

  it("mutes, pins and archives per member, with an archived tab", async () => {
    const conversation = await services.chat.conversations.openDirect(ann, bob.userId);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const view = await services.chat.conversations.updateSettings(bob, { conversationId: conversation.id, mutedUntil: until, pinned: true, archived: true });
    assert.equal(view.me.mutedUntil, until);
    assert.equal(view.me.pinned, true);
    assert.equal(view.me.archived, true);
    const main = await services.chat.conversations.list(bob, { limit: 50, archived: false });
    assert.ok(!main.items.some((c) => c.id === conversation.id));
    const archived = await services.chat.conversations.list(bob, { limit: 50, archived: true });
    assert.ok(archived.items.some((c) => c.id === conversation.id));
    const annsView = await services.chat.conversations.get(ann, conversation.id);
    assert.equal(annsView.me.archived, false);
    await services.chat.conversations.updateSettings(bob, { conversationId: conversation.id, archived: false, mutedUntil: null });
    const back = await services.chat.conversations.get(bob, conversation.id);
    assert.equal(back.me.archived, false);
    assert.equal(back.me.mutedUntil, null);
  });

  it("mirrors archived chats under the user, idempotently, and the weekly repair rebuilds or drops copies", async () => {
    const mirror = platform.mongo.db.collection<{ _id: string; userId: string; conversationId: string; archivedAt: Date }>("archivedChats");
    const archivedIds = async () => (await services.chat.conversations.list(bob, { limit: 50, archived: true })).items.map((c) => c.id);
    const one = await services.chat.conversations.openDirect(ann, bob.userId);
    const [carl] = await makeUsers(services, 1);
    const two = await services.chat.conversations.openDirect(carl!, bob.userId);
    await Promise.all([1, 2].map(() => services.chat.conversations.updateSettings(bob, { conversationId: one.id, archived: true })));
    assert.equal(await mirror.countDocuments({ userId: bob.userId }), 1);
    assert.deepEqual(await archivedIds(), [one.id]);
    // A crash after the member write (or an archive older than the mirror), and a copy left by a crashed unarchive.
    await mirror.deleteOne({ userId: bob.userId, _id: `${bob.userId}:${one.id}` });
    await mirror.insertOne({ _id: `${bob.userId}:${two.id}`, userId: bob.userId, conversationId: two.id, archivedAt: new Date() });
    assert.deepEqual(await archivedIds(), [], "the member document decides: a stale copy lists nothing");
    const result = await services.maintenance.run("weekly");
    assert.ok((result["chat.archive-mirror-repair"]?.written ?? 0) >= 1, JSON.stringify(result));
    assert.ok((result["chat.archive-mirror-repair"]?.orphans ?? 0) >= 1, JSON.stringify(result));
    assert.deepEqual(await archivedIds(), [one.id]);
    assert.equal(await mirror.countDocuments({ userId: bob.userId }), 1);
    const again = await services.maintenance.run("weekly");
    assert.deepEqual(again["chat.archive-mirror-repair"], { written: 0, orphans: 0 });
    await services.chat.conversations.updateSettings(bob, { conversationId: one.id, archived: false });
    assert.equal(await mirror.countDocuments({ userId: bob.userId }), 0);
  });
});
