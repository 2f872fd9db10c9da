import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startApi, type ApiServer } from "../../api/server.js";
import type { ChatMessage, ConversationView, HistoryPage, SendResult } from "../../shared/chat/chat.types.js";
import type { MediaUrls } from "../../shared/media/media.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { httpCall } from "../helpers/http.js";
import { createTestPlatform } from "../helpers/platform.js";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { clientId } from "../chat/chat-fixtures.js";
import { allKeys, atBase, makeFixtures, readyUpload, type Fixtures } from "./media-fixtures.js";

describe("media in chat: attachments by upload id, signed URLs for members only", function () {
  this.timeout(60_000);
  let platform: Platform;
  let services: Services;
  let api: ApiServer;
  let base: string;
  let ann: TestUser;
  let bob: TestUser;
  let eve: TestUser;
  let direct: ConversationView;
  let dir: string;
  let fx: Fixtures;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    api = await startApi(platform, services, 0);
    base = `http://127.0.0.1:${api.port}`;
    [ann, bob, eve] = await Promise.all([createTestUser(services), createTestUser(services), createTestUser(services)]);
    direct = await services.chat.conversations.openDirect(ann, bob.userId);
    dir = await mkdtemp(path.join(os.tmpdir(), "cw-fx-"));
    fx = await makeFixtures(dir);
  });
  after(async () => {
    await api.close();
    await platform.close();
    await rm(dir, { recursive: true, force: true });
  });

  const send = (user: TestUser, content: unknown) =>
    httpCall<SendResult & { error?: { code: string } }>(base, "POST", `/api/chat/conversations/${direct.id}/messages`, { token: user.accessToken, body: { clientMessageId: clientId(), content } });
  const mediaOf = (user: TestUser, messageId: string) => httpCall<{ media: MediaUrls; error?: { code: string } }>(base, "GET", `/api/chat/conversations/${direct.id}/messages/${messageId}/media`, { token: user.accessToken });

  it("stores the upload's facts in the message and gives members short-lived URLs; others get nothing", async () => {
    const image = await readyUpload(services, ann.userId, fx.png, "image/png");
    const sent = await send(ann, { type: "image", media: { mediaId: image.id }, text: "look" });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const history = (await httpCall<HistoryPage>(base, "GET", `/api/chat/conversations/${direct.id}/messages`, { token: bob.accessToken })).body;
    const message = history.messages.find((m: ChatMessage) => m.id === sent.body.id)!;
    assert.deepEqual(message.content, { type: "image", media: { mediaId: image.id, mimeType: "image/png", size: image.size, width: 64, height: 48 }, text: "look" });
    const forBob = await mediaOf(bob, sent.body.id);
    assert.equal(forBob.status, 200);
    assert.equal(forBob.headers.get("cache-control"), "private, no-store");
    assert.ok(forBob.body.media.expiresAt && Date.parse(forBob.body.media.expiresAt) <= Date.now() + 300_000 + 1000);
    const served = await fetch(atBase(base, forBob.body.media.url));
    assert.equal(served.status, 200);
    assert.equal(served.headers.get("content-type"), "image/png");
    assert.equal((await fetch(atBase(base, forBob.body.media.thumbnailUrl!))).status, 200);
    const forEve = await mediaOf(eve, sent.body.id);
    assert.equal(forEve.status, 404);
    assert.equal(forEve.body.error?.code, "CONVERSATION_NOT_FOUND");
    // A link that expired, or one whose signature was made for something else, serves nothing.
    const key = new URL(forBob.body.media.url).pathname.replace(/^\/media\//, "");
    const expired = await services.storage.signedUrl(key, { method: "GET", expiresInSeconds: -1 });
    assert.equal((await fetch(atBase(base, expired))).status, 403);
    const forged = new URL(atBase(base, forBob.body.media.url));
    forged.searchParams.set("X-Expires", String(Math.floor(Date.now() / 1000) + 86_400 * 365));
    assert.equal((await fetch(forged)).status, 403);
    const otherObject = new URL(atBase(base, forBob.body.media.url));
    otherObject.pathname = otherObject.pathname.replace("image.png", "display.webp");
    assert.equal((await fetch(otherObject)).status, 403);
  });

  it("refuses attachments that are not the sender's ready chat uploads of the message's kind", async () => {
    const bobsImage = await readyUpload(services, bob.userId, fx.png, "image/png");
    const avatar = await readyUpload(services, ann.userId, fx.png, "image/png", "avatar");
    const audio = await readyUpload(services, ann.userId, fx.wav, "audio/wav");
    const pending = await services.media.createUpload(ann.userId, { purpose: "chat", mimeType: "image/png", size: fx.png.length });
    const cases: Array<[unknown, number, string]> = [
      [{ type: "image", media: { mediaId: bobsImage.id } }, 404, "MEDIA_NOT_FOUND"],
      [{ type: "image", media: { mediaId: "0b8f8a51-3f2b-4c55-8a7e-6a1f9d1b2c3d" } }, 404, "MEDIA_NOT_FOUND"],
      [{ type: "image", media: { mediaId: avatar.id } }, 400, "VALIDATION_FAILED"],
      [{ type: "image", media: { mediaId: audio.id } }, 400, "VALIDATION_FAILED"],
      [{ type: "image", media: { mediaId: pending.upload.id } }, 409, "MEDIA_NOT_READY"],
      [{ type: "image", media: { mediaId: bobsImage.id, url: "https://evil.test/x.png" } }, 400, "VALIDATION_FAILED"],
    ];
    for (const [content, status, code] of cases) {
      const response = await send(ann, content);
      assert.equal(response.status, status, JSON.stringify(content));
      assert.equal(response.body.error?.code, code, JSON.stringify(content));
    }
    const voice = await send(ann, { type: "audio", media: { mediaId: audio.id, voiceNote: true } });
    assert.equal(voice.status, 201);
    const textOnly = await send(ann, { type: "text", text: "no attachment" });
    assert.equal((await mediaOf(bob, textOnly.body.id)).body.error?.code, "MEDIA_NOT_FOUND");
  });

  it("deleting the message for everyone releases the upload; it is purged after the retention period", async () => {
    const pdf = await readyUpload(services, ann.userId, fx.pdf, "application/pdf", "chat", "minutes.pdf");
    const sent = await send(ann, { type: "file", media: { mediaId: pdf.id } });
    assert.equal(sent.status, 201);
    assert.equal((await mediaOf(bob, sent.body.id)).status, 200);
    await services.chat.changes.delete(ann, { conversationId: direct.id, messageId: sent.body.id, scope: "everyone" });
    assert.equal((await mediaOf(bob, sent.body.id)).status, 404);
    assert.ok((await allKeys(services)).some((key) => key.includes(pdf.id)), "kept during the retention period");
    await services.maintenance.run("daily", new Date(Date.now() + platform.config.MEDIA_RELEASE_RETENTION_SECONDS * 1000 + 60_000));
    assert.deepEqual((await allKeys(services)).filter((key) => key.includes(pdf.id)), []);
    await assert.rejects(services.media.resolveForOwner(ann.userId, pdf.id, "chat"), { code: "MEDIA_NOT_FOUND" });
  });
});
