import type { ConversationService } from "../chat/conversation.service.js";
import type { DomainEventBus } from "../events/event-bus.js";
import type { FollowRepository } from "../social/follow.repository.js";
import type { AuthorSubscriptionService } from "./author-subscription.service.js";
import type { FollowerFanOutService } from "./follower-fan-out.service.js";
import type { NotificationService } from "./notification.service.js";
import type { DeepLink, NotificationType } from "./notification.types.js";
import type { OnlineCheck } from "../presence/presence.types.js";

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
  // The send path lists only recipients that had no connected device (all of a large group's);
  // presence is asked again here: some may have connected since.
  events.durable("chat.message-to-offline", "notifications.message", async (message, { eventId, at }) => {
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

/** Posts, comments and reactions notify the author of what was reacted to, commented on, shared or mentioned in. */
export function subscribePostNotifications(events: DomainEventBus, notifications: NotificationService): void {
  const post = (postId: string) => ({ kind: "post" as const, id: postId });
  const postLink = (postId: string, commentId?: string): DeepLink =>
    commentId ? { route: "comment", params: { postId, commentId } } : { route: "post", params: { postId } };
  events.durable("post.reacted", "notifications.post-reacted", async (e, { eventId, at }) => {
    await notifications.notify({ recipientId: e.postAuthorId, type: "post_like", actorId: e.userId, target: post(e.postId), link: postLink(e.postId), postId: e.postId, eventId, at });
  });
  events.durable("post.commented", "notifications.post-commented", async (e, { eventId, at }) => {
    await notifications.notify({ recipientId: e.postAuthorId, type: "post_comment", actorId: e.userId, target: post(e.postId), link: postLink(e.postId, e.commentId), postId: e.postId, eventId, at });
  });
  events.durable("comment.replied", "notifications.comment-replied", async (e, { eventId, at }) => {
    await notifications.notify({ recipientId: e.parentAuthorId, type: "comment_reply", actorId: e.userId, target: { kind: "comment", id: e.parentId }, link: postLink(e.postId, e.commentId), postId: e.postId, eventId, at });
  });
  events.durable("comment.reacted", "notifications.comment-reacted", async (e, { eventId, at }) => {
    await notifications.notify({ recipientId: e.commentAuthorId, type: "comment_like", actorId: e.userId, target: { kind: "comment", id: e.commentId }, link: postLink(e.postId, e.commentId), postId: e.postId, eventId, at });
  });
  events.durable("post.shared", "notifications.post-shared", async (e, { eventId, at }) => {
    await notifications.notify({ recipientId: e.sharedPostAuthorId, type: "post_share", actorId: e.userId, target: post(e.sharedPostId), link: postLink(e.postId), postId: e.sharedPostId, eventId, at });
  });
  events.durable("post.mentioned", "notifications.post-mentioned", async (e, { eventId, at }) => {
    // The posts domain names only mentioned users who can see the post.
    for (const recipientId of e.mentionedUserIds) {
      await notifications.notify({ recipientId, type: "post_mention", actorId: e.authorId, target: post(e.postId), link: postLink(e.postId), postId: e.postId, eventId, at });
    }
  });
}

/** Videos: the uploader hears that processing finished and about likes, comments and shares. */
export function subscribeVideoNotifications(events: DomainEventBus, notifications: NotificationService): void {
  const video = (videoId: string) => ({ kind: "video" as const, id: videoId });
  const link = (videoId: string) => ({ route: "video" as const, params: { videoId } });
  events.durable("video.processed", "notifications.video-processed", async (e, { eventId, at }) => {
    if (e.status !== "ready") return;
    await notifications.notify({ recipientId: e.userId, type: "video_processed", actorId: "system", target: video(e.videoId), link: link(e.videoId), eventId, at });
  });
  events.durable("video.liked", "notifications.video-liked", async (e, { eventId, at }) => {
    await notifications.notify({ recipientId: e.ownerId, type: "video_like", actorId: e.userId, target: video(e.videoId), link: link(e.videoId), data: { subject: e.title }, eventId, at });
  });
  events.durable("video.commented", "notifications.video-commented", async (e, { eventId, at }) => {
    await notifications.notify({ recipientId: e.ownerId, type: "video_comment", actorId: e.userId, target: video(e.videoId), link: link(e.videoId), data: { subject: e.title, preview: e.preview.slice(0, 140) }, eventId, at });
  });
  events.durable("video.shared", "notifications.video-shared", async (e, { eventId, at }) => {
    await notifications.notify({ recipientId: e.ownerId, type: "video_share", actorId: e.userId, target: video(e.videoId), link: link(e.videoId), data: { subject: e.title }, eventId, at });
  });
}

/** A call nobody on this account answered. */
export function subscribeCallNotifications(events: DomainEventBus, notifications: NotificationService): void {
  events.durable("call.missed", "notifications.call-missed", async (e, { eventId, at }) => {
    await notifications.notify({
      recipientId: e.userId,
      type: "call_missed",
      actorId: e.callerId,
      target: { kind: "call", id: e.callId },
      link: { route: "call", params: { callId: e.callId, conversationId: e.conversationId } },
      data: { subject: e.mediaType },
      eventId,
      at,
    });
  });
}

/**
 * New posts and videos reach the followers who asked for them, in fan-out jobs
 * (never in the request); an unfollow or a block ends such a subscription.
 */
export function subscribeFollowerFanOut(
  events: DomainEventBus,
  fanOut: Pick<FollowerFanOutService, "start">,
  subscriptions: Pick<AuthorSubscriptionService, "followEnded" | "blocked">,
  follows: Pick<FollowRepository, "find">,
): void {
  events.durable("post.created", "notifications.post-published", async (e, { at }) => {
    // A share is the sharer's post about someone else's: its own notification (post_share) covers it.
    if (e.sharedPostId !== null || e.visibility === "private") return;
    await fanOut.start("post", e.postId, e.authorId, at);
  });
  events.durable("video.published", "notifications.video-published", async (e, { at }) => {
    await fanOut.start("video", e.videoId, e.userId, at);
  });
  events.durable("social.unfollowed", "notifications.unfollow-subscription", async ({ followerId, followeeId }) => {
    // As above: only a gone edge counts (the event is written before the delete).
    if (await follows.find(followerId, followeeId)) return;
    await subscriptions.followEnded(followerId, followeeId);
  });
  events.durable("social.blocked", "notifications.block-subscription", async ({ blockerId, blockedId }) => {
    await subscriptions.blocked(blockerId, blockedId);
  });
}
