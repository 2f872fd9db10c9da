import assert from "node:assert/strict";
import type { ConversationView } from "../../shared/chat/chat.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { httpCall } from "../helpers/http.js";
import type { TestUser } from "../helpers/users.js";
import { allKeys, readyUpload, startMediaApiStack, type Fixtures, type MediaApiStack } from "../media/media-fixtures.js";
import { makeUsers } from "./chat-fixtures.js";

type Body = { conversation: ConversationView; error?: { code: string } };

describe("chat: group avatars are uploads (admins only; replaced or removed ones released)", function () {
  this.timeout(90_000);
  let platform: Platform;
  let services: Services;
  let stack: MediaApiStack;
  let base: string;
  let owner: TestUser;
  let admin: TestUser;
  let member: TestUser;
  let fx: Fixtures;

  before(async () => {
    stack = await startMediaApiStack();
    ({ platform, services, base, fx } = stack);
    [owner, admin, member] = (await makeUsers(services, 3)) as [TestUser, TestUser, TestUser];
  });
  after(async () => {
    await stack.close();
  });

  const avatarOf = (user: TestUser, purpose: "avatar" | "chat" = "avatar") => readyUpload(services, user.userId, fx.png, "image/png", purpose);
  const patch = (user: TestUser, id: string, body: Record<string, unknown>) => httpCall<Body>(base, "PATCH", `/api/chat/conversations/${id}`, { token: user.accessToken, body });
  const refsOf = async (mediaId: string) => (await platform.mongo.db.collection<{ _id: string; refs: string[]; releasedAt?: Date }>("mediaUploads").findOne({ _id: mediaId }))!;
  const inUse = async (user: TestUser, mediaId: string) => (await services.media.resolveForOwner(user.userId, mediaId, "avatar")).id === mediaId;
  const released = (user: TestUser, mediaId: string) => assert.rejects(services.media.resolveForOwner(user.userId, mediaId, "avatar"), { code: "MEDIA_NOT_FOUND" });

  it("a group created with the creator's avatar upload shows its public URLs; an admin replaces it, releasing the first", async () => {
    const first = await avatarOf(owner);
    const created = await httpCall<Body>(base, "POST", "/api/chat/conversations", { token: owner.accessToken, body: { type: "group", title: "Climbers", memberIds: [admin.userId, member.userId], avatarUploadId: first.id } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const group = created.body.conversation;
    assert.equal(group.avatar?.mediaId, first.id);
    assert.equal(group.avatarUrl, group.avatar?.url);
    assert.ok(group.avatar && !/X-Signature=/.test(group.avatar.url) && group.avatar.url.includes("/public/"), "stable public URLs");
    const served = await fetch(`${base}${new URL(group.avatar.thumbnailUrl).pathname}`);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get("content-type"), "image/webp");
    assert.deepEqual((await refsOf(first.id)).refs.filter((ref) => ref.startsWith(`group-avatar:${group.id}:`)).length, 1);
    // Members see it too.
    assert.equal((await services.chat.conversations.get(member, group.id)).avatar?.mediaId, first.id);

    await services.chat.groups.setRole(owner, { conversationId: group.id, userId: admin.userId, role: "admin" });
    const second = await avatarOf(admin);
    const replaced = await patch(admin, group.id, { avatarUploadId: second.id });
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.equal(replaced.body.conversation.avatar?.mediaId, second.id);
    await released(owner, first.id);
    assert.ok(await inUse(admin, second.id));
    assert.equal((await patch(admin, group.id, { avatarUploadId: second.id })).body.conversation.avatar?.mediaId, second.id, "setting it again is a no-op");
    assert.equal((await refsOf(second.id)).refs.length, 1);

    const removed = await patch(owner, group.id, { avatarUploadId: null });
    assert.equal(removed.status, 200);
    assert.equal(removed.body.conversation.avatar, undefined);
    assert.equal(removed.body.conversation.avatarUrl, undefined);
    await released(admin, second.id);
    assert.equal((await patch(owner, group.id, { avatarUploadId: null })).status, 200, "idempotent");

    // Purged after the retention period: nothing of either upload is left.
    await services.maintenance.run("daily", new Date(Date.now() + platform.config.MEDIA_RELEASE_RETENTION_SECONDS * 1000 + 60_000));
    assert.deepEqual((await allKeys(services)).filter((key) => key.includes(first.id) || key.includes(second.id)), []);
  });

  it("refuses members who are not admins, another user's, a chat, an unfinished upload and URLs, changing nothing", async () => {
    const group = await services.chat.groups.create(owner, { title: "Guarded", memberIds: [member.userId] });
    const current = await avatarOf(owner);
    await services.chat.conversations.updateGroup(owner, { conversationId: group.id, avatarUploadId: current.id });
    const before = await services.chat.conversations.get(owner, group.id);
    const mine = await avatarOf(member);
    const foreign = await avatarOf(admin);
    const forChat = await avatarOf(owner, "chat");
    const pending = (await services.media.createUpload(owner.userId, { purpose: "avatar", mimeType: "image/png", size: fx.png.length })).upload;
    const cases: Array<[TestUser, Record<string, unknown>, number, string]> = [
      [member, { avatarUploadId: mine.id }, 403, "FORBIDDEN"],
      [member, { avatarUploadId: null }, 403, "FORBIDDEN"],
      [owner, { avatarUploadId: foreign.id }, 404, "MEDIA_NOT_FOUND"],
      [owner, { avatarUploadId: forChat.id, title: "Renamed" }, 400, "VALIDATION_FAILED"],
      [owner, { avatarUploadId: pending.id }, 409, "MEDIA_NOT_READY"],
      [owner, { avatarUploadId: "https://cdn.example.test/a.png" }, 400, "VALIDATION_FAILED"],
      [owner, { avatarUrl: "https://cdn.example.test/a.png" }, 400, "VALIDATION_FAILED"],
    ];
    for (const [user, body, status, code] of cases) {
      const res = await patch(user, group.id, body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal(res.body.error?.code, code, JSON.stringify(body));
    }
    const created = await httpCall<Body>(base, "POST", "/api/chat/conversations", { token: owner.accessToken, body: { type: "group", title: "X", avatarUploadId: foreign.id } });
    assert.equal(created.status, 404);
    const after = await services.chat.conversations.get(owner, group.id);
    assert.deepEqual({ ...after, lastMessage: null, lastSeq: 0, unreadCount: 0 }, { ...before, lastMessage: null, lastSeq: 0, unreadCount: 0 });
    for (const upload of [mine, foreign, forChat]) assert.deepEqual((await refsOf(upload.id)).refs, [], "no use was recorded");
    assert.ok(await inUse(owner, current.id));
  });
});
