import type { Db } from "mongodb";
import type pg from "pg";
import type { AccessControl } from "../access/access-control.js";
import type { ConversationService } from "../chat/conversation.service.js";
import type { Config } from "../config/config.js";
import type { DomainEventBus } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import type { MaintenanceTask } from "../maintenance/maintenance.service.js";
import type { ProfileService } from "../profiles/profile.service.js";
import type { OutboundMessenger } from "../messaging/outbound-message.js";
import type { JobHandlers, ScheduledJob } from "../queues/jobs.js";
import type { JobQueue } from "../queues/job-queue.js";
import type { Realtime } from "../runtime/socket-events.js";
import { FollowRepository } from "../social/follow.repository.js";
import { PostRepository, toObjectId } from "../posts/post.repository.js";
import { VideoRepository } from "../videos/video.repository.js";
import { AuthorSubscriptionRepository } from "./author-subscription.repository.js";
import { AuthorSubscriptionService } from "./author-subscription.service.js";
import { DigestStateRepository } from "./digest-state.repository.js";
import { EmailDigestService } from "./email-digest.service.js";
import { FollowerFanOutService, type FanOutSources } from "./follower-fan-out.service.js";
import { AnnouncementService } from "./announcement.service.js";
import { AudienceRepository } from "./audience.repository.js";
import { NotificationSettingsRepository } from "./notification-settings.repository.js";
import { NotificationRepository } from "./notification.repository.js";
import { NotificationService } from "./notification.service.js";
import type { OnlineCheck } from "../presence/presence.types.js";
import { PushDelivery } from "./push-delivery.js";
import { PushSubscriptionRepository } from "./push-subscription.repository.js";
import { PushSubscriptionService } from "./push-subscription.service.js";
import { DevPushOutbox } from "./push/dev-push-outbox.js";
import type { PushSender } from "./push/push-sender.js";
import { WebPushSender } from "./push/web-push.sender.js";
import {
  subscribeCallNotifications,
  subscribeChatNotifications,
  subscribeFollowerFanOut,
  subscribePostNotifications,
  subscribeSocialNotifications,
  subscribeVideoNotifications,
} from "./notification.subscribers.js";

const DAY_MS = 24 * 3600 * 1000;

export interface NotificationsModuleDeps {
  config: Config;
  db: Db;
  pool: pg.Pool;
  events: DomainEventBus;
  jobs: Pick<JobQueue, "add">;
  realtime: Pick<Realtime, "toUsers">;
  access: Pick<AccessControl, "isBlockedEitherWay" | "blockedAmong">;
  profiles: Pick<ProfileService, "notificationPreferences" | "notificationPreferencesMany" | "getMany">;
  presence: OnlineCheck;
  conversations: Pick<ConversationService, "mutedAmong">;
  /** The outbound e-mail port (SMTP, or the development outbox) the digest goes through. */
  mailer: OutboundMessenger;
  logger: Logger;
}

/** The push port's adapter: Web Push when VAPID keys are configured, the development outbox otherwise. */
function pushSender(config: Config, logger: Logger): PushSender {
  if (config.VAPID_PUBLIC_KEY && config.VAPID_PRIVATE_KEY) {
    return new WebPushSender({ subject: config.VAPID_SUBJECT, publicKey: config.VAPID_PUBLIC_KEY, privateKey: config.VAPID_PRIVATE_KEY });
  }
  return new DevPushOutbox(logger);
}

/** The posts and videos a follower fan-out announces, as they are now (read through their own repositories). */
function fanOutSources(db: Db): FanOutSources {
  const posts = new PostRepository(db);
  const videos = new VideoRepository(db);
  return {
    async post(postId) {
      const id = toObjectId(postId);
      const post = id && (await posts.findById(id));
      if (!post || post.isDeleted) return null;
      return { authorId: post.userId, audience: post.visibility === "private" ? "none" : post.visibility, preview: post.content.text };
    },
    async video(videoId) {
      const video = await videos.findById(videoId);
      if (!video || video.isDeleted) return null;
      return { authorId: video.userId, audience: video.status === "ready" && video.privacy === "public" ? "public" : "none", preview: video.title };
    },
  };
}

/**
 * Notifications: consumes the domain events of every producer through durable
 * subscribers, stores grouped notifications, pushes them to connected devices
 * and through the push port to the others, and fans announcements out in jobs.
 */
export function createNotificationsModule(deps: NotificationsModuleDeps) {
  const log = deps.logger.child({ domain: "notifications" });
  const lifetimeMs = deps.config.NOTIFICATION_TTL_DAYS * DAY_MS;
  const repository = new NotificationRepository(deps.db);
  const subscriptionsRepository = new PushSubscriptionRepository(deps.db);
  const sender = pushSender(deps.config, log);
  const push = new PushDelivery(subscriptionsRepository, deps.presence, sender, log);
  const follows = new FollowRepository(deps.db);
  const settings = new NotificationSettingsRepository(deps.db);
  const notifications = new NotificationService(
    repository,
    settings,
    deps.profiles,
    follows,
    deps.access,
    deps.realtime,
    push,
    { groupWindowMs: deps.config.NOTIFICATION_GROUP_WINDOW_MS, lifetimeMs },
    log,
  );
  const audience = new AudienceRepository(deps.pool);
  const digests = new EmailDigestService(audience, settings, new DigestStateRepository(deps.db), repository, notifications, deps.mailer, deps.jobs, { publicUrl: deps.config.PUBLIC_URL }, log);
  const announcements = new AnnouncementService(audience, repository, deps.jobs, deps.realtime, push, { profiles: deps.profiles, settings }, lifetimeMs);
  const authorSubscriptionRepository = new AuthorSubscriptionRepository(deps.db);
  const authorSubscriptions = new AuthorSubscriptionService(authorSubscriptionRepository, follows);
  const followerFanOut = new FollowerFanOutService(fanOutSources(deps.db), authorSubscriptionRepository, follows, deps.access, deps.profiles, settings, repository, deps.jobs, deps.realtime, push, lifetimeMs);
  const pushSubscriptions = new PushSubscriptionService(subscriptionsRepository, deps.config.VAPID_PUBLIC_KEY ?? null, sender.name);

  // Inline: the logout's answer already shows the devices gone; the job is the safety net.
  deps.events.durable("auth.session-revoked", "notifications.revoked-session-push", async ({ sessionIds }) => void (await pushSubscriptions.sessionsRevoked(sessionIds)), { inline: true });
  subscribeSocialNotifications(deps.events, notifications, follows);
  subscribeChatNotifications(deps.events, notifications, deps.presence, deps.conversations);
  subscribePostNotifications(deps.events, notifications);
  subscribeVideoNotifications(deps.events, notifications);
  subscribeCallNotifications(deps.events, notifications);
  subscribeFollowerFanOut(deps.events, followerFanOut, authorSubscriptions, follows);

  const jobHandlers: Pick<JobHandlers, "notifications.announce" | "notifications.follower-fanout" | "notifications.email-digest"> = {
    "notifications.email-digest": (payload) => digests.runBatch(payload),
    "notifications.announce": (payload) => announcements.runBatch(payload),
    "notifications.follower-fanout": (payload) => followerFanOut.runBatch(payload),
  };
  const maintenanceTasks: MaintenanceTask[] = [
    {
      // Seed: notifications older than 90 days expire (the TTL index removes them).
      name: "notifications.archive",
      period: "monthly",
      run: async (now) => ({ expired: await repository.expireOlderThan(new Date(now.getTime() - 90 * DAY_MS), now) }),
    },
    {
      // Read notifications nobody touched for 30 days are compacted away.
      name: "notifications.compact-read",
      period: "monthly",
      run: async (now) => ({ deleted: await repository.deleteReadBefore(new Date(now.getTime() - 30 * DAY_MS)) }),
    },
  ];
    // Daily at 08:00 UTC: the unread groups of e-mail-enabled types since each user's last digest.
  const scheduledJobs: ScheduledJob[] = [{ id: "notifications-email-digest", job: "notifications.email-digest", data: {}, repeat: { pattern: "0 8 * * *" } }];
  return { services: { notifications, announcements, pushSubscriptions, authorSubscriptions, followerFanOut, digests, pushSender: sender }, jobHandlers, maintenanceTasks, scheduledJobs };
}
