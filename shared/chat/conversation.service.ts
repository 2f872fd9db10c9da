import { randomUUID } from "node:crypto";
import type { Actor } from "../auth/actor.js";
import type { ConversationRepository, ConversationDoc, ConversationHead } from "./conversation.repository.js";
import { newMember, type MemberRepository, type MemberDoc } from "./member.repository.js";
import type { MemberListCache } from "./member-list.cache.js";
import type { DirectPermissionCache } from "./direct-permission.cache.js";
import type { AccessControl } from "../access/access-control.js";
import { conversationNotFound, listIncluding, type UserDirectory } from "./chat-rules.js";
import type { Realtime } from "../runtime/socket-events.js";
import { AppError } from "../errors/app-error.js";
import { toConversationView } from "./chat.mappers.js";
import type { ListConversationsInput, SettingsInput, UpdateGroupInput } from "./chat.schema.js";
import type { ConversationView, Page } from "./chat.types.js";
import type { GroupAvatarService } from "./group-avatar.service.js";
import { decodeTimeCursor, encodeTimeCursor } from "./list-cursor.js";
import type { MessageService } from "./message.service.js";
import type { ReceiptService } from "./receipt.service.js";

/** The most archived conversations the archived tab lists. */
const MAX_ARCHIVED = 500;

/**
 * Conversations as their members see them: direct chats (one per pair),
 * the chat list, a single conversation, group info, and each member's own
 * settings (mute, pin, archive, clear).
 */
export class ConversationService {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly members: MemberRepository,
    private readonly memberLists: MemberListCache,
    private readonly permissions: DirectPermissionCache,
    private readonly access: AccessControl,
    private readonly directory: UserDirectory,
    private readonly realtime: Pick<Realtime, "toUsers">,
    private readonly messages: MessageService,
    private readonly receipts: ReceiptService,
    /** Group avatars (uploads); the group service uses it at creation too. */
    readonly avatars: GroupAvatarService,
  ) {}

  /** The direct conversation with `peerId`, created on first use (also under concurrent creation). */
  async openDirect(actor: Actor, peerId: string): Promise<ConversationView> {
    return (await this.openOrCreateDirect(actor, peerId)).conversation;
  }

  /** `openDirect`, saying whether this call created the conversation (REST answers 201 then, 200 otherwise). */
  async openOrCreateDirect(actor: Actor, peerId: string): Promise<{ conversation: ConversationView; created: boolean }> {
    const actorId = actor.userId;
    if (peerId === actorId) throw new AppError("BAD_REQUEST", "A direct conversation needs another user");
    if (!(await this.directory.existing([peerId])).has(peerId)) throw new AppError("USER_NOT_FOUND", "No such user");
    if (!(await this.access.canMessage(actorId, peerId))) throw new AppError("MESSAGING_NOT_ALLOWED", "You can't message this user");
    this.permissions.forget(actorId, peerId);
    const pair = [actorId, peerId].sort();
    const now = new Date();
    const doc: ConversationDoc = {
      _id: randomUUID(),
      type: "direct",
      directKey: pair.join(":"),
      directMembers: pair,
      memberIds: pair,
      memberCount: 2,
      membersVersion: 1,
      createdBy: actorId,
      lastSeq: 0,
      lastMessage: null,
      lastMessageAt: now,
      createdAt: now,
      updatedAt: now,
    };
    const { conversation, created } = await this.conversations.upsertDirect(doc);
    // Idempotent: repairs the member documents if an earlier attempt stopped after the upsert.
    await this.members.insertMissing(pair.map((userId) => newMember(conversation._id, userId, "member", conversation.createdAt, 0)));
    if (created) this.realtime.toUsers(pair, "chat:conversation-updated", { conversationId: conversation._id, reason: "created" });
    return { conversation: await this.view(actorId, conversation), created };
  }

  /** The chat list: most recent activity first (archived ones on their own tab), with unread counts. */
  async list(actor: Actor, input: ListConversationsInput): Promise<Page<ConversationView>> {
    const actorId = actor.userId;
    if (input.archived) {
      const archived = await this.members.archivedFor(actorId, MAX_ARCHIVED);
      const heads = (await this.conversations.findHeads(archived.map((m) => m.conversationId))).sort(
        (a, b) => b.lastMessageAt.getTime() - a.lastMessageAt.getTime() || (a._id < b._id ? 1 : -1),
      );
      return { items: await this.views(actorId, heads, archived), nextCursor: null };
    }
    const after = input.cursor ? decodeTimeCursor(input.cursor) : undefined;
    // One more than a page says whether another page exists, so a full last page ends with a null cursor.
    const fetched = await this.conversations.pageForMember(actorId, after, input.limit + 1);
    const heads = fetched.slice(0, input.limit);
    const members = (await this.members.forUser(actorId, heads.map((h) => h._id))).filter((m) => !m.archived);
    const last = heads[heads.length - 1];
    return {
      items: await this.views(actorId, heads, members),
      nextCursor: last && fetched.length > input.limit ? encodeTimeCursor(last.lastMessageAt, last._id) : null,
    };
  }

  async get(actor: Actor, conversationId: string): Promise<ConversationView> {
    const actorId = actor.userId;
    const head = await this.conversations.findHeadForMember(conversationId, actorId);
    if (!head) throw conversationNotFound();
    return this.view(actorId, head);
  }

  /** Every member id of a conversation the actor is in (typing and presence fan-out). */
  async participants(actorId: string, conversationId: string): Promise<readonly string[]> {
    return (await listIncluding(this.memberLists, conversationId, actorId)).memberIds;
  }

  /** The type and member ids of a conversation the actor is in (calls ring its members). */
  async memberList(actorId: string, conversationId: string): Promise<{ type: "direct" | "group"; memberIds: readonly string[] }> {
    const list = await listIncluding(this.memberLists, conversationId, actorId);
    return { type: list.type, memberIds: list.memberIds };
  }

  /**
   * Title, description or avatar of a group; admins and the owner only. The
   * avatar (an upload of the acting admin, `null` removes it) is replaced
   * first: a refused upload changes nothing.
   */
  async updateGroup(actor: Actor, input: UpdateGroupInput): Promise<ConversationView> {
    const actorId = actor.userId;
    const head = await this.requireGroupAdmin(actorId, input.conversationId);
    if (input.avatarUploadId !== undefined) await this.avatars.replace(actorId, head, input.avatarUploadId);
    const set: Partial<Pick<ConversationDoc, "title" | "description">> = {};
    if (input.title !== undefined) set.title = input.title;
    if (input.description !== undefined) set.description = input.description;
    if (Object.keys(set).length > 0) await this.conversations.updateGroup(head._id, set, [], new Date());
    await this.messages.postSystem(head._id, actorId, { event: "group_updated", actorId, ...(input.title ? { title: input.title } : {}) });
    const list = await this.memberLists.load(head._id);
    this.realtime.toUsers(list?.memberIds ?? [], "chat:conversation-updated", { conversationId: head._id, reason: "updated" });
    return this.get(actor, head._id);
  }

  /** The caller's own mute, pin and archive settings; their other devices are told. */
  async updateSettings(actor: Actor, input: SettingsInput): Promise<ConversationView> {
    const actorId = actor.userId;
    const set: Partial<Pick<MemberDoc, "mutedUntil" | "pinned" | "archived">> = {};
    if (input.mutedUntil !== undefined) set.mutedUntil = input.mutedUntil === null ? null : new Date(input.mutedUntil);
    if (input.pinned !== undefined) set.pinned = input.pinned;
    if (input.archived !== undefined) set.archived = input.archived;
    const updated = await this.members.updateSettings(input.conversationId, actorId, set);
    if (!updated) throw conversationNotFound();
    this.realtime.toUsers([actorId], "chat:conversation-updated", { conversationId: input.conversationId, reason: "settings" });
    return this.get(actor, input.conversationId);
  }

  /** Hides the history so far from the caller (only) and marks it read. */
  async clear(actor: Actor, conversationId: string): Promise<ConversationView> {
    const actorId = actor.userId;
    const head = await this.conversations.findHeadForMember(conversationId, actorId);
    if (!head) throw conversationNotFound();
    if (!(await this.members.clear(conversationId, actorId, head.lastSeq, new Date()))) throw conversationNotFound();
    await this.receipts.reset(actorId, conversationId);
    this.realtime.toUsers([actorId], "chat:conversation-updated", { conversationId, reason: "settings" });
    return this.get(actor, conversationId);
  }

  /** A group the actor administers (owner or admin); others get 404 or 403 as members. */
  /** Members who muted the conversation right now (notifications leave them alone). */
  async mutedAmong(conversationId: string, userIds: readonly string[]): Promise<Set<string>> {
    return this.members.mutedAmong(conversationId, userIds, new Date());
  }

  async requireGroupAdmin(actorId: string, conversationId: string): Promise<ConversationHead> {
    const head = await this.conversations.findHeadForMember(conversationId, actorId);
    if (!head) throw conversationNotFound();
    if (head.type !== "group") throw new AppError("BAD_REQUEST", "Only groups have members to manage");
    const me = await this.members.get(conversationId, actorId);
    if (!me) throw conversationNotFound();
    if (me.role === "member") throw new AppError("FORBIDDEN", "Only group admins can do that");
    return head;
  }

  private async view(actorId: string, head: ConversationHead): Promise<ConversationView> {
    const member = await this.members.get(head._id, actorId);
    if (!member) throw conversationNotFound();
    const counts = await this.receipts.countsFor(actorId, [member]);
    return toConversationView(head, member, counts.get(head._id) ?? 0);
  }

  private async views(actorId: string, heads: readonly ConversationHead[], members: readonly MemberDoc[]): Promise<ConversationView[]> {
    const byConversation = new Map(members.map((m) => [m.conversationId, m]));
    const shown = heads.filter((h) => byConversation.has(h._id));
    const counts = await this.receipts.countsFor(actorId, shown.map((h) => byConversation.get(h._id) as MemberDoc));
    return shown.map((h) => toConversationView(h, byConversation.get(h._id) as MemberDoc, counts.get(h._id) ?? 0));
  }
}
