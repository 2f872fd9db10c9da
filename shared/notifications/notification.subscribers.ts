import type { ConversationService } from "../chat/conversation.service.js";
import type { DomainEventBus } from "../events/event-bus.js";
import type { FollowRepository } from "../social/follow.repository.js";
import type { NotificationService } from "./notification.service.js";
import type { NotificationType } from "./notification.types.js";
import type { OnlineCheck } from "./push-delivery.js";

/** Recipients handled per store round trip when a message reaches a large group. */
const CHUNK = 1_000;

/** Follows, requests and acceptances notify; an unfollow takes its follower back out of the group. */
export function subscribeSocialNotifications(events: DomainEventBus, notifications: NotificationService, follows: Pick<FollowRepository, "find">): void {
  events.durable("social.followed", "notifications.follow", async ({ followerId, followeeId }, { eventId, at }) => {
    await notifications.notify({ recipientId: followeeId, type: "follow", actorId: followerId, target: { kind: "user", id: followeeId }, link: { route: "profile", params: { userId: followerId } }, eventId, at });
  });
  events.durable("social.follow-requested", "notifications.follow-request", async ({ followerId, followeeId }, { eventId, at }) => {
    await notifications.notify({ recipientId: followeeId, type: "follow_request", actorId: followerId, target: { kind: "user", id: followerId }, link: { route: "follow-requests", params: {} }, eventId, at });
  });
  events.durable("social.follow-accepted", "notifications.follow-accepted", async ({ followerId, followeeId }, { eventId, at }) => {
    await notifications.notify({ recipientId: followerId, type: "follow_accepted", actorId: followeeId, target: { kind: "user", id: followeeId }, link: { route: "profile", params: { userId: followeeId } }, eventId, at });
  });
  events.durable("social.unfollowed", "notifications.unfollow", async ({ followerId, followeeId }, { eventId, at }) => {
    // The event may come from a process that died before the delete: only a gone edge counts.
    if (await follows.find(followerId, followeeId)) return;
    await notifications.retract(followeeId, "follow", { kind: "user", id: followeeId }, followerId);
    await notifications.notify({ recipientId: followeeId, type: "unfollow", actorId: followerId, target: { kind: "user", id: followerId }, link: { route: "profile", params: { userId: followerId } }, eventId, at });
  });
}

/**
 * Chat: a message notifies only recipients with no connected device (the
 * others got it on their sockets), never a muted conversation's members —
 * except a mention, which notifies unless its type is switched off. Joining a
 * group notifies the added members.
 */
export function subscribeChatNotifications(
  events: DomainEventBus,
  notifications: NotificationService,
  presence: OnlineCheck,
  conversations: Pick<ConversationService, "mutedAmong">,
): void {
  events.durable("chat.message-sent", "notifications.message", async (message, { eventId, at }) => {
    if (message.type === "system" || message.type === "call") return;
    for (let start = 0; start < message.recipientIds.length; start += CHUNK) {
      const chunk = message.recipientIds.slice(start, start + CHUNK);
      const online = await presence.onlineAmong(chunk);
      const offline = chunk.filter((id) => !online.has(id));
      if (offline.length === 0) continue;
      const muted = await conversations.mutedAmong(message.conversationId, offline);
      for (const recipientId of offline) {
        const mentioned = message.mentions.includes(recipientId);
        if (muted.has(recipientId) && !mentioned) continue;
        const type: NotificationType = mentioned ? (message.conversationType === "group" ? "group_mention" : "message_mention") : "message";
        await notifications.notify({
          recipientId,
          type,
          actorId: message.senderId,
          target: { kind: "conversation", id: message.conversationId },
          link: { route: "conversation", params: { conversationId: message.conversationId, messageId: message.messageId } },
          data: { preview: message.preview.slice(0, 140) },
          eventId,
          at,
          // Unread messages of one conversation fold into one notification that counts them.
          ...(type === "message" ? { countBy: "event" as const, groupKey: `message:conversation:${message.conversationId}` } : {}),
        });
      }
    }
  });
  events.durable("chat.member-added", "notifications.group-invite", async ({ conversationId, addedBy, userIds }, { eventId, at }) => {
    for (const recipientId of userIds) {
      await notifications.notify({ recipientId, type: "group_invite", actorId: addedBy, target: { kind: "conversation", id: conversationId }, link: { route: "conversation", params: { conversationId } }, eventId, at });
    }
  });
}
