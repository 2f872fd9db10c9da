import { randomUUID } from "node:crypto";
import type { Actor } from "../auth/actor.js";
import type { ConversationRepository, ConversationDoc } from "./conversation.repository.js";
import { newMember, type MemberRepository } from "./member.repository.js";
import type { UnreadRepository } from "./unread.repository.js";
import type { MemberListCache } from "./member-list.cache.js";
import type { AccessControl } from "../access/access-control.js";
import { conversationNotFound, type UserDirectory } from "./chat-rules.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { DomainEventBus } from "../events/event-bus.js";
import { AppError } from "../errors/app-error.js";
import { toMemberView } from "./chat.mappers.js";
import { MAX_GROUP_MEMBERS } from "./chat.schema.js";
import type { ConversationView, MemberView, Page } from "./chat.types.js";
import type { ConversationService } from "./conversation.service.js";
import type { MessageService } from "./message.service.js";

const ADD_ATTEMPTS = 4;

/**
 * Groups and their members: creation, adding (blocks and existence checked),
 * removal, leaving (ownership passes to the longest-serving admin, else
 * member), and admin roles. Member documents are written before the
 * membership list grants access and deleted after it is revoked.
 */
export class GroupService {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly members: MemberRepository,
    private readonly unread: UnreadRepository,
    private readonly memberLists: MemberListCache,
    private readonly access: AccessControl,
    private readonly directory: UserDirectory,
    private readonly realtime: Pick<Realtime, "toUsers">,
    private readonly events: DomainEventBus,
    private readonly conversationService: ConversationService,
    private readonly messages: MessageService,
  ) {}

  async create(actor: Actor, input: { title: string; description?: string; avatarUploadId?: string; memberIds: string[] }): Promise<ConversationView> {
    const actorId = actor.userId;
    const others = await this.admissible(actorId, input.memberIds);
    const id = randomUUID();
    // The creator's upload, referenced before the group exists (let go of if the group is not stored).
    const avatar = input.avatarUploadId ? await this.conversationService.avatars.prepare(actorId, id, input.avatarUploadId) : undefined;
    const now = new Date();
    const memberIds = [actorId, ...others];
    await this.members.insertMissing(memberIds.map((userId) => newMember(id, userId, userId === actorId ? "owner" : "member", now, 0)));
    const doc: ConversationDoc = {
      _id: id,
      type: "group",
      memberIds,
      memberCount: memberIds.length,
      membersVersion: 1,
      title: input.title,
      ownerId: actorId,
      createdBy: actorId,
      lastSeq: 0,
      lastMessage: null,
      lastMessageAt: now,
      createdAt: now,
      updatedAt: now,
    };
    if (input.description) doc.description = input.description;
    if (avatar) Object.assign(doc, { avatar, avatarUrl: avatar.url });
    const joined = others.length > 0 ? [this.events.record("chat.member-added", { conversationId: id, addedBy: actorId, userIds: others })] : [];
    if (joined.length > 0) doc.outbox = joined;
    try {
      await this.conversations.insert(doc);
    } catch (error) {
      if (avatar) await this.conversationService.avatars.abandon(avatar);
      throw error;
    }
    if (joined.length > 0) await this.events.published({ collection: "conversations", filter: { _id: id } }, joined);
    await this.messages.postSystem(id, actorId, { event: "group_created", actorId, title: input.title });
    this.realtime.toUsers(memberIds, "chat:conversation-updated", { conversationId: id, reason: "created" });
    return this.conversationService.get(actor, id);
  }

  async listMembers(actor: Actor, input: { conversationId: string; cursor?: string; limit: number }): Promise<Page<MemberView>> {
    const actorId = actor.userId;
    if (!(await this.conversations.findHeadForMember(input.conversationId, actorId))) throw conversationNotFound();
    const fetched = await this.members.page(input.conversationId, input.cursor, input.limit + 1);
    const page = fetched.slice(0, input.limit);
    const last = page[page.length - 1];
    return { items: page.map(toMemberView), nextCursor: last && fetched.length > input.limit ? last.userId : null };
  }

  /** Adds users who are not members yet; answers with the ids actually added. */
  async addMembers(actor: Actor, input: { conversationId: string; userIds: string[] }): Promise<{ added: string[] }> {
    const actorId = actor.userId;
    const head = await this.conversationService.requireGroupAdmin(actorId, input.conversationId);
    const wanted = await this.admissible(actorId, input.userIds);
    let added: string[] = [];
    let tried: string[] = [];
    for (let attempt = 0; attempt < ADD_ATTEMPTS && added.length === 0; attempt++) {
      const list = await this.memberLists.load(head._id);
      if (!list) throw conversationNotFound();
      const fresh = wanted.filter((id) => !list.memberIds.includes(id));
      if (fresh.length === 0) break;
      if (list.memberIds.length + fresh.length > MAX_GROUP_MEMBERS) {
        await this.discardStrays(head._id, tried);
        throw new AppError("GROUP_FULL", `A group has at most ${MAX_GROUP_MEMBERS} members`);
      }
      tried = fresh;
      await this.members.insertMissing(fresh.map((userId) => newMember(head._id, userId, "member", new Date(), head.lastSeq)));
      const joined = this.events.record("chat.member-added", { conversationId: head._id, addedBy: actorId, userIds: fresh });
      if (await this.conversations.addMembers(head._id, fresh, MAX_GROUP_MEMBERS, new Date(), [joined])) {
        added = fresh;
        await this.events.published({ collection: "conversations", filter: { _id: head._id } }, [joined]);
      }
    }
    if (added.length === 0) {
      await this.discardStrays(head._id, tried);
      return { added };
    }
    await this.messages.postSystem(head._id, actorId, { event: "members_added", actorId, targetIds: added });
    await this.announce(head._id, "members_changed");
    return { added };
  }

  /** Removes a member: the owner may remove anyone, admins only plain members. */
  async removeMember(actor: Actor, input: { conversationId: string; userId: string }): Promise<void> {
    const actorId = actor.userId;
    if (input.userId === actorId) return this.leave(actor, input.conversationId);
    const head = await this.conversationService.requireGroupAdmin(actorId, input.conversationId);
    const [me, target] = await Promise.all([
      this.members.get(head._id, actorId),
      this.members.get(head._id, input.userId),
    ]);
    if (!target) throw new AppError("NOT_FOUND", "That user is not a member");
    if (target.role === "owner" || (target.role === "admin" && me?.role !== "owner")) {
      throw new AppError("FORBIDDEN", "Only the owner can remove an admin, and nobody the owner");
    }
    await this.messages.postSystem(head._id, actorId, { event: "member_removed", actorId, targetIds: [input.userId] });
    await this.drop(head._id, input.userId);
    await this.announce(head._id, "members_changed");
  }

  /** Leaves a group; an owner hands the group to the longest-serving admin (else member). */
  async leave(actor: Actor, conversationId: string): Promise<void> {
    const actorId = actor.userId;
    const head = await this.conversations.findHeadForMember(conversationId, actorId);
    if (!head) throw conversationNotFound();
    if (head.type !== "group") throw new AppError("BAD_REQUEST", "A direct conversation cannot be left");
    const me = await this.members.get(conversationId, actorId);
    await this.messages.postSystem(conversationId, actorId, { event: "member_left", actorId });
    await this.drop(conversationId, actorId);
    if (me?.role === "owner") {
      const successor =
        (await this.members.senior(conversationId, "admin", actorId)) ?? (await this.members.senior(conversationId, "member", actorId));
      if (successor) {
        await this.members.setRole(conversationId, successor.userId, "owner");
        await this.conversations.updateGroup(conversationId, { ownerId: successor.userId }, [], new Date());
        await this.messages.postSystem(conversationId, successor.userId, { event: "owner_changed", actorId: successor.userId });
      }
    }
    await this.announce(conversationId, "members_changed");
  }

  /** Promotes a member to admin (admins and the owner) or demotes an admin (the owner only). */
  async setRole(actor: Actor, input: { conversationId: string; userId: string; role: "admin" | "member" }): Promise<MemberView> {
    const actorId = actor.userId;
    const head = await this.conversationService.requireGroupAdmin(actorId, input.conversationId);
    const [me, target] = await Promise.all([this.members.get(head._id, actorId), this.members.get(head._id, input.userId)]);
    if (!target) throw new AppError("NOT_FOUND", "That user is not a member");
    if (target.role === "owner") throw new AppError("FORBIDDEN", "The owner's role cannot be changed");
    if (input.role === "member" && me?.role !== "owner") throw new AppError("FORBIDDEN", "Only the owner can demote an admin");
    if (target.role !== input.role) {
      await this.members.setRole(head._id, input.userId, input.role);
      const event = input.role === "admin" ? "admin_promoted" : "admin_demoted";
      await this.messages.postSystem(head._id, actorId, { event, actorId, targetIds: [input.userId] });
      await this.announce(head._id, "members_changed");
    }
    return toMemberView({ ...target, role: input.role });
  }

  /** The distinct other users among `userIds`, all existing and none blocked either way with the actor. */
  private async admissible(actorId: string, userIds: readonly string[]): Promise<string[]> {
    const others = [...new Set(userIds)].filter((id) => id !== actorId);
    if (others.length === 0) return others;
    const existing = await this.directory.existing(others);
    const missing = others.filter((id) => !existing.has(id));
    if (missing.length > 0) throw new AppError("USER_NOT_FOUND", "Some users do not exist", { userIds: missing });
    const blocked = await this.access.blockedAmong(actorId, others);
    if (blocked.size > 0) throw new AppError("MESSAGING_NOT_ALLOWED", "Some users can't be added", { userIds: [...blocked] });
    // A group is a way to message its members: each one's "who can message me" must allow the adder.
    const allowed = await Promise.all(others.map((id) => this.access.canMessage(actorId, id)));
    const refused = others.filter((_, i) => !allowed[i]);
    if (refused.length > 0) {
      throw new AppError("MESSAGING_NOT_ALLOWED", "Some users only accept messages from people they follow (or from nobody); they can't be added by you", { userIds: refused });
    }
    return others;
  }

  /** Member documents written for an add that did not happen. */
  private async discardStrays(conversationId: string, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    const list = await this.memberLists.load(conversationId);
    const strays = userIds.filter((id) => !list?.memberIds.includes(id));
    await Promise.all(strays.map((id) => this.members.remove(conversationId, id)));
  }

  /** Revokes membership (the list first, so access ends at once), then the member's state. */
  private async drop(conversationId: string, userId: string): Promise<void> {
    await this.conversations.removeMember(conversationId, userId, new Date());
    await this.memberLists.changed(conversationId);
    await this.members.remove(conversationId, userId);
    await this.unread.remove(userId, conversationId).catch(() => undefined);
    this.realtime.toUsers([userId], "chat:conversation-updated", { conversationId, reason: "removed" });
  }

  private async announce(conversationId: string, reason: "members_changed"): Promise<void> {
    const list = await this.memberLists.changed(conversationId);
    this.realtime.toUsers(list?.memberIds ?? [], "chat:conversation-updated", { conversationId, reason });
  }
}
