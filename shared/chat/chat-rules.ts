import { AppError } from "../errors/app-error.js";
import type { MediaUploadView, MediaUrls } from "../media/media.types.js";
import type { MemberListCache, MemberList } from "./member-list.cache.js";
import type { MemberDoc, MemberRepository } from "./member.repository.js";
import type { MessageDoc, MessageRepository } from "./message.repository.js";

/*
 * What the chat services share besides their own repositories: the ports to
 * other domains, the two not-found errors, and the visibility rules every
 * path that reaches a conversation or a message by id applies.
 */

/** Which users exist (live profiles): the profiles service answers it. */
export interface UserDirectory {
  existing(userIds: readonly string[]): Promise<Set<string>>;
}

/** What chat needs of the media domain: attachments (and group avatars) are uploads the sender owns; members get their URLs. */
export interface ChatMedia {
  resolveForOwner(actorId: string, mediaId: string, purpose: "chat" | "avatar"): Promise<MediaUploadView>;
  urlsFor(mediaIds: readonly string[]): Promise<Map<string, MediaUrls>>;
  attach(mediaId: string, ref: string): Promise<void>;
  detach(mediaId: string, ref: string): Promise<void>;
}

/** The reference a message holds on its attachment (the upload is released when the last one goes). */
export const messageMediaRef = (messageId: string): string => `message:${messageId}`;

/** The error every non-participant gets, whether or not the conversation exists. */
export const conversationNotFound = (): AppError =>
  new AppError("CONVERSATION_NOT_FOUND", "No such conversation");

export const messageNotFound = (): AppError => new AppError("MESSAGE_NOT_FOUND", "No such message");

/**
 * The member list of a conversation the actor belongs to, from the cache when
 * it says so (a stale list that lacks the actor is reloaded before refusing).
 * Only a hint for fan-out and early refusals: writes check membership in the store.
 */
export async function listIncluding(memberLists: MemberListCache, conversationId: string, actorId: string): Promise<MemberList> {
  let list = await memberLists.get(conversationId);
  if (list && !list.memberIds.includes(actorId)) list = await memberLists.load(conversationId);
  if (!list || !list.memberIds.includes(actorId)) throw conversationNotFound();
  return list;
}

/**
 * The one visibility rule for a message reached by id: the actor is a member,
 * the message is after their `clearedSeq` (they joined later, or cleared the
 * chat) and they did not delete it for themselves. History and sync apply the
 * same rule, so no path reveals what they hide.
 */
export function isVisibleTo(message: Pick<MessageDoc, "seq" | "hiddenFor">, member: Pick<MemberDoc, "clearedSeq">, actorId: string): boolean {
  return message.seq > member.clearedSeq && !message.hiddenFor.includes(actorId);
}

/** The message if `isVisibleTo` the actor, else MESSAGE_NOT_FOUND (CONVERSATION_NOT_FOUND for a non-member). */
export async function visibleMessage(messages: MessageRepository, members: MemberRepository, conversationId: string, messageId: string, actorId: string): Promise<MessageDoc> {
  const [message, member] = await Promise.all([messages.findInConversation(conversationId, messageId), members.get(conversationId, actorId)]);
  if (!member) throw conversationNotFound();
  if (!message || !isVisibleTo(message, member, actorId)) throw messageNotFound();
  return message;
}

/** The member list for fan-out after a write that returned `version`. */
export async function listAt(memberLists: MemberListCache, conversationId: string, version: number): Promise<readonly string[]> {
  return (await memberLists.atVersion(conversationId, version))?.memberIds ?? [];
}
