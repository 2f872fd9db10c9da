import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { ChangeRepository } from "../../shared/chat/change.repository.js";
import { ConversationRepository } from "../../shared/chat/conversation.repository.js";
import { MessageRepository, type MessageDoc } from "../../shared/chat/message.repository.js";
import { DEFAULT_GAP_WINDOW_MS } from "../../shared/chat/sync.service.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import type { TestUser } from "../helpers/users.js";
import { makeUsers, textMessage } from "./chat-fixtures.js";

describe("chat sync: passing over a claimed but unwritten seq voids it first", function () {
  this.timeout(30_000);
  let platform: Platform;
  let services: Services;
  let ann: TestUser;
  let bob: TestUser;
  let conversations: ConversationRepository;
  let messages: MessageRepository;
  let changes: ChangeRepository;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    [ann, bob] = (await makeUsers(services, 2)) as [TestUser, TestUser];
    conversations = new ConversationRepository(platform.mongo.db);
    messages = new MessageRepository(platform.mongo.db);
    changes = new ChangeRepository(platform.mongo.db);
  });
  after(async () => platform.close());

  /** A message as a stalled writer would insert it at the seq it claimed long ago. */
  const lateMessage = (conversationId: string, seq: number): MessageDoc => ({
    _id: randomUUID(),
    conversationId,
    seq,
    senderId: ann.userId,
    clientMessageId: `late-${randomUUID()}`,
    type: "text",
    content: { type: "text", text: "late" },
    mentions: [],
    reactions: {},
    hiddenFor: [],
    createdAt: new Date(),
  });

  const sync = (conversationId: string, seq: number, now = Date.now()) =>
    services.chat.sync.sync(bob, { conversations: [{ conversationId, seq }], limit: 200 }, now).then((r) => r.conversations[0]!);

  it("waits at a young gap, voids an old one in both collections before passing it, and the late writes then fail", async () => {
    const conversation = await services.chat.conversations.openDirect(ann, bob.userId);
    const first = await services.chat.messages.send(ann, textMessage(conversation.id, "one"));
    const stalled = (await conversations.claimSeq(conversation.id, ann.userId))!.seq;
    const later = await services.chat.messages.send(ann, textMessage(conversation.id, "three"));

    const young = await sync(conversation.id, first.seq);
    assert.equal(young.pending, true);
    assert.equal(young.cursor, first.seq, "the cursor stops before the young gap");
    assert.deepEqual(young.changes, []);

    const old = await sync(conversation.id, first.seq, Date.now() + DEFAULT_GAP_WINDOW_MS + 1_000);
    assert.equal(old.pending, false);
    assert.equal(old.cursor, later.seq);
    assert.deepEqual(old.changes.map((c) => (c.kind === "message" ? c.message.id : c.kind)), [later.id], "the void is never shown");
    assert.equal(await messages.insert(lateMessage(conversation.id, stalled)), false, "a late message at the voided seq fails");
    assert.equal(await changes.tryInsert({ _id: randomUUID(), conversationId: conversation.id, seq: stalled, kind: "reaction", messageId: first.id, actorId: ann.userId, data: { emoji: "👍" }, at: new Date() }), false, "so does a late change");

    // Voids are invisible everywhere else: history, unread counts, lookups.
    const history = await services.chat.queries.history(bob, { conversationId: conversation.id, limit: 50 });
    assert.deepEqual(history.messages.map((m) => m.id), [first.id, later.id]);
    const listed = (await services.chat.conversations.list(bob, { limit: 50, archived: false })).items.find((c) => c.id === conversation.id);
    assert.equal(listed?.unreadCount, 2);
  });

  it("a late write that wins the race against the void is shown, and an unwritten tail is voided too", async () => {
    const conversation = await services.chat.conversations.openDirect(bob, (await makeUsers(services, 1))[0]!.userId);
    const first = await services.chat.messages.send(bob, textMessage(conversation.id, "one"));
    const [a, b] = [(await conversations.claimSeq(conversation.id, bob.userId))!.seq, (await conversations.claimSeq(conversation.id, bob.userId))!.seq];
    const late = lateMessage(conversation.id, a);
    late.senderId = bob.userId;
    assert.equal(await messages.insert(late), true);
    const result = await sync(conversation.id, first.seq, Date.now() + DEFAULT_GAP_WINDOW_MS + 1_000);
    assert.equal(result.cursor, b, "the tail seq nobody wrote is passed after it is voided");
    assert.deepEqual(result.changes.map((c) => (c.kind === "message" ? c.message.id : c.kind)), [late._id]);
    assert.equal(await messages.insert({ ...lateMessage(conversation.id, b), senderId: bob.userId }), false);
  });

  it("finishes a void that an interrupted sync left in messages only before passing it", async () => {
    const conversation = await services.chat.conversations.openDirect(ann, (await makeUsers(services, 1))[0]!.userId);
    const first = await services.chat.messages.send(ann, textMessage(conversation.id, "one"));
    const stalled = (await conversations.claimSeq(conversation.id, ann.userId))!.seq;
    await messages.voidSeqs(conversation.id, [stalled], new Date());
    const later = await services.chat.messages.send(ann, textMessage(conversation.id, "three"));
    const result = await services.chat.sync.sync(ann, { conversations: [{ conversationId: conversation.id, seq: first.seq }], limit: 200 });
    assert.equal(result.conversations[0]!.cursor, later.seq);
    const change = { _id: randomUUID(), conversationId: conversation.id, seq: stalled, kind: "reaction" as const, messageId: first.id, actorId: ann.userId, data: { emoji: "👍" as const }, at: new Date() };
    assert.equal(await changes.tryInsert(change), false, "the void change was written before the seq was passed");
  });
});
