import assert from "node:assert/strict";
import type { ChatChange, SyncResult } from "../../shared/chat/chat.types.js";
import { SYNC_MAX_BYTES } from "../../shared/chat/sync.service.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import type { TestUser } from "../helpers/users.js";
import { makeUsers, textMessage } from "./chat-fixtures.js";

const PER_CONVERSATION = 130;
/** About 4.2 KB of JSON per message: two conversations hold more than one answer may carry. */
const BODY = "x".repeat(4_000);

describe("chat sync: the byte budget of one answer", function () {
  this.timeout(60_000);
  let platform: Platform;
  let services: Services;
  let ann: TestUser;
  let bob: TestUser;
  let cat: TestUser;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    [ann, bob, cat] = (await makeUsers(services, 3)) as [TestUser, TestUser, TestUser];
  });
  after(async () => platform.close());

  it("stops at 1 MB with hasMore, and the next sync continues where the cut was, losing and repeating nothing", async () => {
    const conversations = [await services.chat.conversations.openDirect(ann, bob.userId), await services.chat.conversations.openDirect(cat, bob.userId)];
    const sent = new Map<string, string[]>();
    for (const [conversation, sender] of [[conversations[0]!, ann], [conversations[1]!, cat]] as const) {
      const acks = [];
      for (let i = 0; i < PER_CONVERSATION; i += 10) {
        const batch = Array.from({ length: Math.min(10, PER_CONVERSATION - i) }, (_, j) => services.chat.messages.send(sender, textMessage(conversation.id, `${i + j} ${BODY}`)));
        acks.push(...(await Promise.all(batch)));
      }
      sent.set(conversation.id, acks.sort((a, b) => a.seq - b.seq).map((a) => a.id));
    }

    const cursors = new Map(conversations.map((c) => [c.id, 0]));
    const received = new Map<string, ChatChange[]>(conversations.map((c) => [c.id, []]));
    const answers: SyncResult[] = [];
    for (let round = 0; round < 5; round++) {
      const answer = await services.chat.sync.sync(bob, { conversations: [...cursors].map(([conversationId, seq]) => ({ conversationId, seq })), limit: 500 });
      answers.push(answer);
      for (const result of answer.conversations) {
        received.get(result.conversationId)!.push(...result.changes);
        cursors.set(result.conversationId, result.cursor);
      }
      if (answer.conversations.every((c) => !c.hasMore && !c.pending)) break;
    }

    const [first] = answers;
    assert.ok(answers.length >= 2, "one answer could not carry everything");
    // The whole acknowledgement, as the gateway sends it, stays within the budget.
    const bytes = answers.map((a) => Buffer.byteLength(JSON.stringify({ ok: true, data: a })));
    for (const size of bytes) assert.ok(size <= SYNC_MAX_BYTES, `an acknowledgement of ${size} bytes`);
    assert.ok(bytes[0]! > SYNC_MAX_BYTES * 0.9, `the first answer is filled, not cut early (${bytes[0]} bytes)`);
    // In request order: the first conversation fits whole, the second is cut and says so.
    assert.equal(first!.conversations[0]!.hasMore, false);
    assert.equal(first!.conversations[1]!.hasMore, true);
    assert.equal(first!.conversations[1]!.pending, false);
    for (const conversation of conversations) {
      const ids = received.get(conversation.id)!.flatMap((c) => (c.kind === "message" ? [c.message.id] : []));
      assert.deepEqual(ids, sent.get(conversation.id), "every message once, in order");
      assert.equal(cursors.get(conversation.id), (await services.chat.conversations.get(bob, conversation.id)).lastSeq);
    }
  });

  it("conversations past a full answer are not read: they come back empty with hasMore and their receipts, and later syncs deliver them whole", async () => {
    const readers = (await makeUsers(services, 12)) as TestUser[];
    const conversations = await Promise.all(readers.map((sender) => services.chat.conversations.openDirect(sender, ann.userId)));
    const perConversation = 32;
    for (const [i, conversation] of conversations.entries()) {
      await Promise.all(Array.from({ length: perConversation }, (_, m) => services.chat.messages.send(readers[i]!, textMessage(conversation.id, `${m} ${BODY}`))));
    }
    // The last conversation's other member has read up to 5: a receipt ann must get even though its messages wait.
    const lastConversation = conversations[11]!;
    await services.chat.receipts.read(ann, { conversationId: lastConversation.id, seq: 5 });
    const since = new Date(Date.now() - 60_000).toISOString();

    const cursors = new Map(conversations.map((c) => [c.id, 0]));
    const first = await services.chat.sync.sync(ann, { conversations: [...cursors].map(([conversationId, seq]) => ({ conversationId, seq })), limit: 500, receiptsSince: since });
    const tail = first.conversations.slice(8);
    assert.ok(tail.every((c) => c.changes.length === 0 && c.hasMore && c.cursor === 0 && c.lastSeq === perConversation), JSON.stringify(tail.map((c) => [c.changes.length, c.hasMore, c.cursor])));
    assert.ok(tail[3]!.receipts.some((r) => r.userId === ann.userId && r.lastReadSeq === 5), "receipts of a conversation not read yet still come");
    assert.ok(Buffer.byteLength(JSON.stringify({ ok: true, data: first })) <= SYNC_MAX_BYTES);

    const received = new Map<string, number>(conversations.map((c) => [c.id, 0]));
    let answer = first;
    for (let round = 0; round < 6; round++) {
      for (const result of answer.conversations) {
        received.set(result.conversationId, received.get(result.conversationId)! + result.changes.filter((c) => c.kind === "message").length);
        if (result.hasMore || result.pending) cursors.set(result.conversationId, result.cursor);
        else cursors.delete(result.conversationId);
      }
      if (cursors.size === 0) break;
      answer = await services.chat.sync.sync(ann, { conversations: [...cursors].map(([conversationId, seq]) => ({ conversationId, seq })), limit: 500 });
    }
    assert.equal(cursors.size, 0, "every conversation caught up");
    for (const conversation of conversations) assert.equal(received.get(conversation.id), perConversation, "every message once");
  });
});
