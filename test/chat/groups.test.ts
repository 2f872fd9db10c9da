import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { AppError } from "../../shared/errors/app-error.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import type { TestUser } from "../helpers/users.js";
import { makeUsers, textMessage } from "./chat-fixtures.js";

const code = (expected: string) => (error: unknown) => error instanceof AppError && error.code === expected;

describe("chat: groups, members and roles", function () {
  this.timeout(60_000);
  let platform: Platform;
  let services: Services;
  let owner: TestUser;
  let admin: TestUser;
  let member: TestUser;
  let outsider: TestUser;

  before(async function () {
    ({ platform, services } = await createTestPlatform());
    [owner, admin, member, outsider] = (await makeUsers(services, 4)) as [TestUser, TestUser, TestUser, TestUser];
  });

  after(async () => platform.close());

  const systemEvents = async (viewer: TestUser, conversationId: string) =>
    (await services.chat.queries.history(viewer, { conversationId, limit: 50 })).messages
      .map((m) => (m.content?.type === "system" ? m.content.system.event : null))
      .filter((e) => e !== null);

  it("creates a group with its owner and members, and writes who did what into it", async () => {
    const group = await services.chat.groups.create(owner, { title: "Trip", description: "Planning", memberIds: [admin.userId, member.userId, admin.userId] });
    assert.equal(group.type, "group");
    assert.equal(group.title, "Trip");
    assert.equal(group.memberCount, 3);
    assert.equal(group.ownerId, owner.userId);
    assert.equal(group.me.role, "owner");
    assert.deepEqual(await systemEvents(member, group.id), ["group_created"]);
    await rejectsNotFound(services.chat.groups.listMembers(outsider, { conversationId: group.id, limit: 100 }));
    const members = await services.chat.groups.listMembers(member, { conversationId: group.id, limit: 100 });
    assert.deepEqual(members.items.map((m) => m.userId).sort(), [owner.userId, admin.userId, member.userId].sort());
  });

  it("refuses unknown and blocked users as members", async () => {
    await assert.rejects(services.chat.groups.create(owner, { title: "X", memberIds: [randomUUID()] }), code("USER_NOT_FOUND"));
    const [blocker] = (await makeUsers(services, 1)) as [TestUser];
    await services.blocks.block({ userId: blocker.userId, sessionId: blocker.sessionId, roles: [] }, owner.userId);
    await assert.rejects(services.chat.groups.create(owner, { title: "X", memberIds: [blocker.userId] }), code("MESSAGING_NOT_ALLOWED"));
  });

  it("lets admins manage members and the owner manage admins", async () => {
    const group = await services.chat.groups.create(owner, { title: "Team", memberIds: [admin.userId, member.userId] });
    await assert.rejects(services.chat.groups.setRole(member, { conversationId: group.id, userId: admin.userId, role: "admin" }), code("FORBIDDEN"));
    const promoted = await services.chat.groups.setRole(owner, { conversationId: group.id, userId: admin.userId, role: "admin" });
    assert.equal(promoted.role, "admin");
    await services.chat.messages.send(owner, textMessage(group.id, "before you joined"));
    await assert.rejects(services.chat.groups.addMembers(member, { conversationId: group.id, userIds: [outsider.userId] }), code("FORBIDDEN"));
    const added = await services.chat.groups.addMembers(admin, { conversationId: group.id, userIds: [outsider.userId, member.userId] });
    assert.deepEqual(added.added, [outsider.userId]);
    assert.deepEqual((await services.chat.groups.addMembers(admin, { conversationId: group.id, userIds: [outsider.userId] })).added, []);
    // A newcomer sees the group from the moment they joined, not the history before.
    const newcomerHistory = await services.chat.queries.history(outsider, { conversationId: group.id, limit: 50 });
    assert.ok(!newcomerHistory.messages.some((m) => m.content?.type === "text"));
    assert.deepEqual(newcomerHistory.messages.map((m) => m.content?.type === "system" && m.content.system.event), ["members_added"]);
    assert.equal((await services.chat.conversations.get(outsider, group.id)).unreadCount, 1);

    await assert.rejects(services.chat.groups.removeMember(admin, { conversationId: group.id, userId: owner.userId }), code("FORBIDDEN"));
    await assert.rejects(services.chat.groups.setRole(admin, { conversationId: group.id, userId: admin.userId, role: "member" }), code("FORBIDDEN"));
    await services.chat.groups.removeMember(admin, { conversationId: group.id, userId: outsider.userId });
    await rejectsNotFound(services.chat.messages.send(outsider, textMessage(group.id, "still here?")));
    await rejectsNotFound(services.chat.queries.history(outsider, { conversationId: group.id, limit: 30 }));
    const list = await services.chat.conversations.list(outsider, { limit: 50, archived: false });
    assert.ok(!list.items.some((c) => c.id === group.id));
    assert.equal((await services.chat.conversations.get(owner, group.id)).memberCount, 3);
  });

  it("hands ownership to the longest-serving admin when the owner leaves", async () => {
    const group = await services.chat.groups.create(owner, { title: "Handover", memberIds: [member.userId, admin.userId] });
    await services.chat.groups.setRole(owner, { conversationId: group.id, userId: admin.userId, role: "admin" });
    await services.chat.groups.leave(owner, group.id);
    const view = await services.chat.conversations.get(admin, group.id);
    assert.equal(view.ownerId, admin.userId);
    assert.equal(view.me.role, "owner");
    assert.equal(view.memberCount, 2);
    await rejectsNotFound(services.chat.conversations.get(owner, group.id));
    const events = await systemEvents(member, group.id);
    assert.deepEqual(events.slice(-2), ["member_left", "owner_changed"]);
  });

  it("lets admins edit group info, and nobody leave a direct chat", async () => {
    const group = await services.chat.groups.create(owner, { title: "Old", memberIds: [member.userId] });
    await assert.rejects(services.chat.conversations.updateGroup(member, { conversationId: group.id, title: "Mine" }), code("FORBIDDEN"));
    const updated = await services.chat.conversations.updateGroup(owner, { conversationId: group.id, title: "New", description: "About" });
    assert.equal(updated.title, "New");
    assert.equal(updated.description, "About");
    assert.equal(updated.avatarUrl, undefined);
    const direct = await services.chat.conversations.openDirect(owner, member.userId);
    await assert.rejects(services.chat.groups.leave(owner, direct.id), code("BAD_REQUEST"));
    await assert.rejects(services.chat.conversations.updateGroup(owner, { conversationId: direct.id, title: "x" }), code("BAD_REQUEST"));
  });

  it("grows a group past the receipt fan-out limit in batches, keeping counts and unread right", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 600; i++) {
      const userId = randomUUID();
      await services.profiles.ensureProfile({ userId, displayName: `Member ${i}` });
      ids.push(userId);
    }
    const group = await services.chat.groups.create(owner, { title: "Big", memberIds: ids.slice(0, 200) });
    await services.chat.groups.addMembers(owner, { conversationId: group.id, userIds: ids.slice(200, 400) });
    await services.chat.groups.addMembers(owner, { conversationId: group.id, userIds: ids.slice(300, 600) });
    const view = await services.chat.conversations.get(owner, group.id);
    assert.equal(view.memberCount, 601);
    const sent = await services.chat.messages.send(owner, textMessage(group.id, "hello everyone"));
    // A member with a profile but no account: acts without a session (the chat services read only the user id).
    const last = { userId: ids[599] as string, sessionId: randomUUID(), roles: ["user"] };
    const theirs = await services.chat.conversations.get(last, group.id);
    assert.equal(theirs.unreadCount, 2, "the join line and the greeting");
    const read = await services.chat.receipts.read(last, { conversationId: group.id, seq: sent.seq });
    assert.equal(read.unreadCount, 0);
    const page = await services.chat.groups.listMembers(last, { conversationId: group.id, limit: 200 });
    assert.equal(page.items.length, 200);
    assert.ok(page.nextCursor);
  });
});

async function rejectsNotFound(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, code("CONVERSATION_NOT_FOUND"));
}
