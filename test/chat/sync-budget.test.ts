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
    const bytes = answers.map((a) => Buffer.byteLength(JSON.stringify(a)));
    for (const size of bytes) assert.ok(size <= 1_048_576, `an answer of ${size} bytes`);
    assert.ok(Buffer.byteLength(JSON.stringify(first!.conversations.flatMap((c) => c.changes))) <= SYNC_MAX_BYTES);
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
});
