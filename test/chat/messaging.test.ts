import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { AppError } from "../../shared/errors/app-error.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import type { TestUser } from "../helpers/users.js";
import { clientId, makeUsers, textMessage } from "./chat-fixtures.js";

/** Rejects with an AppError of `code`. */
async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof AppError && error.code === code);
}

describe("chat: direct conversations, sending, history and idempotency", function () {
  let platform: Platform;
  let services: Services;
  let ann: TestUser;
  let bob: TestUser;
  let eve: TestUser;

  before(async function () {
    ({ platform, services } = await createTestPlatform());
    [ann, bob, eve] = (await makeUsers(services, 3)) as [TestUser, TestUser, TestUser];
  });

  after(async () => platform.close());

  it("creates exactly one direct conversation per pair, even under concurrent creation", async () => {
    const [carl, dina] = await makeUsers(services, 2);
    const attempts = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0 ? services.chat.conversations.openDirect(carl!, dina!.userId) : services.chat.conversations.openDirect(dina!, carl!.userId),
      ),
    );
    const ids = new Set(attempts.map((c) => c.id));
    assert.equal(ids.size, 1);
    const view = attempts[0]!;
    assert.equal(view.type, "direct");
    assert.deepEqual([...(view.participants ?? [])].sort(), [carl!.userId, dina!.userId].sort());
    const list = await services.chat.conversations.list(carl!, { limit: 30, archived: false });
    assert.equal(list.items.filter((c) => c.id === view.id).length, 1);
  });

  it("refuses a direct conversation with oneself or with a user who does not exist", async () => {
    await rejectsWith(services.chat.conversations.openDirect(ann, ann.userId), "BAD_REQUEST");
    await rejectsWith(services.chat.conversations.openDirect(ann, randomUUID()), "USER_NOT_FOUND");
  });

  it("acknowledges a send with id, seq and time, and keeps seq increasing", async () => {
    const conversation = await services.chat.conversations.openDirect(ann, bob.userId);
    const first = await services.chat.messages.send(ann, textMessage(conversation.id, "hello"));
    const second = await services.chat.messages.send(bob, textMessage(conversation.id, "hi ann"));
    assert.match(first.id, /^[0-9a-f-]{36}$/);
    assert.ok(second.seq > first.seq);
    assert.ok(!Number.isNaN(Date.parse(first.createdAt)));
    assert.equal(first.duplicate, false);
    const history = await services.chat.queries.history(bob, { conversationId: conversation.id, limit: 30 });
    assert.deepEqual(
      history.messages.map((m) => [m.seq, m.senderId, m.content?.type === "text" ? m.content.text : null]),
      [
        [first.seq, ann.userId, "hello"],
        [second.seq, bob.userId, "hi ann"],
      ],
    );
    assert.equal(history.hasMore, false);
  });

  it("returns the original message for a retry with the same clientMessageId", async () => {
    const conversation = await services.chat.conversations.openDirect(ann, bob.userId);
    const input = textMessage(conversation.id, "only once");
    const [a, b, c] = await Promise.all([
      services.chat.messages.send(ann, input),
      services.chat.messages.send(ann, input),
      services.chat.messages.send(ann, input),
    ]);
    assert.equal(new Set([a!.id, b!.id, c!.id]).size, 1);
    assert.equal(new Set([a!.seq, b!.seq, c!.seq]).size, 1);
    assert.equal([a, b, c].filter((r) => !r!.duplicate).length, 1);
    const later = await services.chat.messages.send(ann, input);
    assert.equal(later.id, a!.id);
    assert.equal(later.duplicate, true);
    const history = await services.chat.queries.history(ann, { conversationId: conversation.id, limit: 50 });
    assert.equal(history.messages.filter((m) => m.clientMessageId === input.clientMessageId).length, 1);
    // The chat list still shows the stored message, not an attempt that was refused.
    const view = await services.chat.conversations.get(bob, conversation.id);
    assert.equal(view.lastMessage?.id, a!.id);
    // Another sender may use the same client id: uniqueness is per sender and conversation.
    const bobs = await services.chat.messages.send(bob, { ...input });
    assert.notEqual(bobs.id, a!.id);
  });

  it("tells a non-participant nothing: the same 404 as for a conversation that does not exist", async () => {
    const conversation = await services.chat.conversations.openDirect(ann, bob.userId);
    for (const id of [conversation.id, randomUUID()]) {
      await rejectsWith(services.chat.messages.send(eve, textMessage(id, "let me in")), "CONVERSATION_NOT_FOUND");
      await rejectsWith(services.chat.queries.history(eve, { conversationId: id, limit: 30 }), "CONVERSATION_NOT_FOUND");
      await rejectsWith(services.chat.conversations.get(eve, id), "CONVERSATION_NOT_FOUND");
      await rejectsWith(services.chat.receipts.read(eve, { conversationId: id, seq: 1 }), "CONVERSATION_NOT_FOUND");
      await rejectsWith(services.chat.receipts.delivered(eve, { conversationId: id, seq: 1 }), "CONVERSATION_NOT_FOUND");
      await rejectsWith(services.chat.conversations.updateSettings(eve, { conversationId: id, pinned: true }), "CONVERSATION_NOT_FOUND");
      await rejectsWith(services.chat.queries.gallery(eve, { conversationId: id, kind: "media", limit: 30 }), "CONVERSATION_NOT_FOUND");
    }
    const sync = await services.chat.sync.sync(eve, { conversations: [{ conversationId: conversation.id, seq: 0 }], limit: 200 });
    assert.equal(sync.conversations[0]?.status, "not_found");
    assert.deepEqual(sync.conversations[0]?.changes, []);
    const list = await services.chat.conversations.list(eve, { limit: 50, archived: false });
    assert.ok(!list.items.some((c) => c.id === conversation.id));
  });

  it("enforces blocks on creation and on send", async () => {
    const [gus, hal] = (await makeUsers(services, 2)) as [TestUser, TestUser];
    const conversation = await services.chat.conversations.openDirect(gus, hal.userId);
    await services.blocks.block({ userId: hal.userId, sessionId: hal.sessionId, roles: [] }, gus.userId);
    await rejectsWith(services.chat.messages.send(gus, textMessage(conversation.id, "hey")), "MESSAGING_NOT_ALLOWED");
    await rejectsWith(services.chat.conversations.openDirect(gus, hal.userId), "MESSAGING_NOT_ALLOWED");
    const history = await services.chat.queries.history(hal, { conversationId: conversation.id, limit: 30 });
    assert.equal(history.messages.length, 0);
  });

  it("quotes replies, forwards across conversations, filters mentions to members", async () => {
    const direct = await services.chat.conversations.openDirect(ann, bob.userId);
    const original = await services.chat.messages.send(bob, textMessage(direct.id, "quote me"));
    const reply = await services.chat.messages.send(ann, textMessage(direct.id, "quoted", { replyToId: original.id, mentions: [bob.userId, eve.userId] }));
    const other = await services.chat.conversations.openDirect(ann, eve.userId);
    const forwarded = await services.chat.messages.send(ann, { conversationId: other.id, clientMessageId: clientId(), forwardFromId: original.id, forwardFromConversationId: direct.id });
    const [replyMsg] = (await services.chat.queries.history(ann, { conversationId: direct.id, after: reply.seq - 1, limit: 1 })).messages;
    assert.deepEqual(replyMsg?.replyTo, { id: original.id, seq: original.seq, senderId: bob.userId, type: "text", preview: "quote me" });
    assert.deepEqual(replyMsg?.mentions, [bob.userId]);
    const [fwd] = (await services.chat.queries.history(eve, { conversationId: other.id, after: forwarded.seq - 1, limit: 1 })).messages;
    assert.equal(fwd?.forwarded, true);
    assert.deepEqual(fwd?.content, { type: "text", text: "quote me" });
    // Eve cannot forward or quote what she cannot see.
    await rejectsWith(services.chat.messages.send(eve, { conversationId: other.id, clientMessageId: clientId(), forwardFromId: original.id, forwardFromConversationId: direct.id }), "MESSAGE_NOT_FOUND");
    // A wrong source conversation finds nothing (the message is looked up within it).
    await rejectsWith(services.chat.messages.send(ann, { conversationId: other.id, clientMessageId: clientId(), forwardFromId: original.id, forwardFromConversationId: other.id }), "MESSAGE_NOT_FOUND");
    await rejectsWith(services.chat.messages.send(eve, textMessage(other.id, "x", { replyToId: original.id })), "MESSAGE_NOT_FOUND");
  });

  it("sends within budget: 2 MongoDB commands and 2 Redis commands (who is connected, the counters) once the conversation is warm", async () => {
    const conversation = await services.chat.conversations.openDirect(ann, bob.userId);
    await services.chat.messages.send(ann, textMessage(conversation.id, "warm-up"));
    await services.chat.conversations.list(bob, { limit: 50, archived: false });
    const mongoCommands: string[] = [];
    const onCommand = (event: { commandName: string }) => mongoCommands.push(event.commandName);
    platform.mongo.client.on("commandStarted", onCommand);
    const redis = platform.redis as unknown as { sendCommand(command: { name: string }): unknown };
    const original = redis.sendCommand.bind(redis);
    const redisCommands: string[] = [];
    redis.sendCommand = (command) => {
      redisCommands.push(command.name);
      return original(command);
    };
    try {
      await services.chat.messages.send(ann, textMessage(conversation.id, "counted"));
      // The ack does not wait for the counter script; it is sent within the same turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      redis.sendCommand = original;
      platform.mongo.client.off("commandStarted", onCommand);
    }
    assert.ok(mongoCommands.length <= 3, `MongoDB commands: ${mongoCommands.join(", ")}`);
    assert.deepEqual(mongoCommands, ["findAndModify", "insert"]);
    // Bob has no device connected: the presence script says so, and the insert carries the outbox entry (no extra command).
    assert.deepEqual(redisCommands, ["evalsha", "evalsha"], `Redis commands: ${redisCommands.join(", ")}`);
  });

  it("pages history by seq cursors and hides what a member cleared", async () => {
    const [ivy, jon] = (await makeUsers(services, 2)) as [TestUser, TestUser];
    const conversation = await services.chat.conversations.openDirect(ivy, jon.userId);
    const seqs: number[] = [];
    for (let i = 0; i < 7; i++) seqs.push((await services.chat.messages.send(ivy, textMessage(conversation.id, `m${i}`))).seq);
    const latest = await services.chat.queries.history(jon, { conversationId: conversation.id, limit: 3 });
    assert.deepEqual(latest.messages.map((m) => m.seq), seqs.slice(4));
    assert.equal(latest.hasMore, true);
    const older = await services.chat.queries.history(jon, { conversationId: conversation.id, before: seqs[4], limit: 3 });
    assert.deepEqual(older.messages.map((m) => m.seq), seqs.slice(1, 4));
    const newer = await services.chat.queries.history(jon, { conversationId: conversation.id, after: seqs[1], limit: 2 });
    assert.deepEqual(newer.messages.map((m) => m.seq), seqs.slice(2, 4));
    assert.equal(newer.hasMore, true);
    const cleared = await services.chat.conversations.clear(jon, conversation.id);
    assert.equal(cleared.unreadCount, 0);
    assert.equal(cleared.lastMessage, null);
    assert.equal((await services.chat.queries.history(jon, { conversationId: conversation.id, limit: 30 })).messages.length, 0);
    assert.equal((await services.chat.queries.history(ivy, { conversationId: conversation.id, limit: 30 })).messages.length, 7);
  });
});
