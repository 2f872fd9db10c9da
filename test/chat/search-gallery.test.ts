import assert from "node:assert/strict";
import { parseInput } from "../../shared/validation/parse.js";
import { sendMessageSchema } from "../../shared/chat/chat.schema.js";
import { AppError } from "../../shared/errors/app-error.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import type { TestUser } from "../helpers/users.js";
import { clientId, makeUsers, textMessage } from "./chat-fixtures.js";
import { makeFixtures, readyUpload, type Fixtures } from "../media/media-fixtures.js";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

const anyId = "6f1c1a52-5b7e-4d43-9d0e-3f5f3f7a2b10";

describe("chat: message types, search and gallery", function () {
  let platform: Platform;
  let services: Services;
  let ann: TestUser;
  let bob: TestUser;
  let eve: TestUser;
  let dir: string;
  let fx: Fixtures;

  before(async function () {
    ({ platform, services } = await createTestPlatform());
    [ann, bob, eve] = (await makeUsers(services, 3)) as [TestUser, TestUser, TestUser];
    dir = await mkdtemp(path.join(os.tmpdir(), "cw-chat-fx-"));
    fx = await makeFixtures(dir);
  });

  after(async () => {
    await platform.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("validates each message type's payload", () => {
    const base = { conversationId: "8d0f6a7e-1d2c-4b8e-9f3a-2c1d0e9b8a7f", clientMessageId: clientId() };
    const good = [
      { type: "text", text: "hi" },
      { type: "image", media: { mediaId: anyId }, text: "caption" },
      { type: "video", media: { mediaId: anyId } },
      { type: "audio", media: { mediaId: anyId, voiceNote: true } },
      { type: "file", media: { mediaId: anyId } },
      { type: "location", location: { latitude: -33.9, longitude: 151.2 } },
      { type: "contact", contact: { name: "Dee", phoneNumbers: ["+14155550123"] } },
      { type: "sticker", sticker: { stickerId: "s1", url: "https://cdn.example.test/s.webp" } },
      { type: "gif", gif: { url: "https://cdn.example.test/g.gif", width: 200, height: 120 } },
    ];
    for (const content of good) assert.doesNotThrow(() => parseInput(sendMessageSchema, { ...base, content }), JSON.stringify(content));
    const bad = [
      { type: "text", text: "   " },
      { type: "image", media: { mediaId: "not-an-id" } },
      { type: "image", media: { mediaId: anyId, url: "https://cdn.example.test/p.jpg" } },
      { type: "video", media: { mediaId: anyId, width: 10 } },
      { type: "audio", media: { mediaId: anyId, durationSeconds: 1 } },
      { type: "file", media: { mediaId: anyId, fileName: "../../etc/passwd" } },
      { type: "image", media: {} },
      { type: "location", location: { latitude: 91, longitude: 0 } },
      { type: "contact", contact: { name: "Dee", phoneNumbers: [] } },
      { type: "sticker", sticker: { stickerId: "s1", url: "ftp://x" } },
      { type: "gif", gif: { url: "https://x.test/g.gif", width: 1, height: 1, extra: true } },
      { type: "call", call: { callId: "c", mediaType: "audio", status: "missed", durationSeconds: 0, initiatorId: base.conversationId, startedAt: new Date().toISOString() } },
      { type: "poll", question: "?" },
    ];
    for (const content of bad) {
      assert.throws(() => parseInput(sendMessageSchema, { ...base, content }), (e: unknown) => e instanceof AppError && e.code === "VALIDATION_FAILED", JSON.stringify(content));
    }
    assert.throws(() => parseInput(sendMessageSchema, { ...base }), (e: unknown) => e instanceof AppError && e.code === "VALIDATION_FAILED");
    assert.throws(() => parseInput(sendMessageSchema, { ...base, content: good[0], forwardFromId: base.conversationId }), (e: unknown) => e instanceof AppError);
    // A forward names its source conversation (messages are sharded by conversation).
    assert.throws(() => parseInput(sendMessageSchema, { ...base, forwardFromId: base.conversationId }), (e: unknown) => e instanceof AppError);
    assert.doesNotThrow(() => parseInput(sendMessageSchema, { ...base, forwardFromId: base.conversationId, forwardFromConversationId: base.conversationId }));
  });

  it("finds messages by words only in the caller's conversations, and never deleted ones", async () => {
    const mine = await services.chat.conversations.openDirect(ann, bob.userId);
    const theirs = await services.chat.conversations.openDirect(bob, eve.userId);
    const fox = await services.chat.messages.send(ann, textMessage(mine.id, "the quick brown fox"));
    await services.chat.messages.send(bob, textMessage(mine.id, "a lazy dog"));
    await services.chat.messages.send(eve, textMessage(theirs.id, "another fox, private"));
    const gone = await services.chat.messages.send(bob, textMessage(mine.id, "fox to be deleted"));
    await services.chat.changes.delete(bob, { conversationId: mine.id, messageId: gone.id, scope: "everyone" });
    const found = await services.chat.queries.search(ann, { q: "fox", limit: 20 });
    assert.deepEqual(found.items.map((m) => m.id), [fox.id]);
    const scoped = await services.chat.queries.search(bob, { q: "fox", conversationId: theirs.id, limit: 20 });
    assert.equal(scoped.items.length, 1);
    assert.equal(scoped.items[0]?.senderId, eve.userId);
    await assert.rejects(services.chat.queries.search(ann, { q: "fox", conversationId: theirs.id, limit: 20 }), (e: unknown) => e instanceof AppError && e.code === "CONVERSATION_NOT_FOUND");
    const image = await readyUpload(services, ann.userId, fx.png, "image/png");
    const captions = await services.chat.messages.send(ann, { conversationId: mine.id, clientMessageId: clientId(), content: { type: "image", media: { mediaId: image.id }, text: "sunset at the beach" } });
    const byCaption = await services.chat.queries.search(bob, { q: "sunset", limit: 20 });
    assert.deepEqual(byCaption.items.map((m) => m.id), [captions.id]);
  });

  it("pages the gallery by shelf: images and videos, files, audio", async () => {
    const [cat, dan] = (await makeUsers(services, 2)) as [TestUser, TestUser];
    const conversation = await services.chat.conversations.openDirect(cat, dan.userId);
    const send = (content: unknown) => services.chat.messages.send(cat, { conversationId: conversation.id, clientMessageId: clientId(), content: content as never });
    const [image, pdf, wav] = await Promise.all([
      readyUpload(services, cat.userId, fx.png, "image/png"),
      readyUpload(services, cat.userId, fx.pdf, "application/pdf", "chat", "quarterly-report.pdf"),
      readyUpload(services, cat.userId, fx.wav, "audio/wav"),
    ]);
    const pics = [];
    for (let i = 0; i < 3; i++) pics.push(await send({ type: "image", media: { mediaId: image.id } }));
    const doc = await send({ type: "file", media: { mediaId: pdf.id } });
    const voice = await send({ type: "audio", media: { mediaId: wav.id, voiceNote: true } });
    await send({ type: "text", text: "not media" });
    const media = await services.chat.queries.gallery(dan, { conversationId: conversation.id, kind: "media", limit: 2 });
    assert.deepEqual(media.messages.map((m) => m.id), [pics[2]!.id, pics[1]!.id]);
    assert.equal(media.hasMore, true);
    const rest = await services.chat.queries.gallery(dan, { conversationId: conversation.id, kind: "media", before: pics[1]!.seq, limit: 2 });
    assert.deepEqual(rest.messages.map((m) => m.id), [pics[0]!.id]);
    assert.equal(rest.hasMore, false);
    assert.deepEqual((await services.chat.queries.gallery(dan, { conversationId: conversation.id, kind: "file", limit: 30 })).messages.map((m) => m.id), [doc.id]);
    assert.deepEqual((await services.chat.queries.gallery(dan, { conversationId: conversation.id, kind: "audio", limit: 30 })).messages.map((m) => m.id), [voice.id]);
  });

  it("writes call records once per call, as the calls domain reports them", async () => {
    const conversation = await services.chat.conversations.openDirect(ann, bob.userId);
    const record = { callId: `call-${clientId()}`, mediaType: "video" as const, status: "missed" as const, durationSeconds: 0, initiatorId: ann.userId, startedAt: new Date().toISOString() };
    const first = await services.chat.messages.postCallRecord(conversation.id, record);
    const again = await services.chat.messages.postCallRecord(conversation.id, record);
    assert.equal(again.id, first.id);
    assert.deepEqual(first.content, { type: "call", call: record });
    await assert.rejects(services.chat.messages.postCallRecord(conversation.id, { ...record, callId: "other", initiatorId: eve.userId }), (e: unknown) => e instanceof AppError && e.code === "CONVERSATION_NOT_FOUND");
  });
});
