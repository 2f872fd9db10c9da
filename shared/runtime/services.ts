import { AccessTokens, type VerifiedAccess } from "../auth/access-token.js";
import { createIdentityModule, type IdentityServices } from "../auth/identity.module.js";
import { chatTestHooks } from "../chat/chat-test-hooks.js";
import { createCallsModule, type CallServices } from "../calls/calls.module.js";
import { createChatModule, type ChatServices } from "../chat/chat.module.js";
import { announceChatInvalidations } from "../chat/chat-cache-invalidation.js";
import type { AccessControlService } from "../access/access-control.service.js";
import type { DomainEventBus } from "../events/event-bus.js";
import { Transactor } from "../db/transactor.js";
import { createEventsModule } from "../events/events.module.js";
import type { OutboxSweeper } from "../events/outbox-sweeper.js";
import { createMaintenanceModule } from "../maintenance/maintenance.module.js";
import { createMediaModule } from "../media/media.module.js";
import type { MediaService } from "../media/media.service.js";
import type { ObjectStorage } from "../storage/object-storage.js";
import { createNotificationsModule } from "../notifications/notifications.module.js";
import type { MaintenanceService } from "../maintenance/maintenance.service.js";
import { createPresenceModule } from "../presence/presence.module.js";
import type { PresenceService } from "../presence/presence.service.js";
import type { TypingService } from "../presence/typing.service.js";
import { createProfilesModule } from "../profiles/profiles.module.js";
import type { ProfileService } from "../profiles/profile.service.js";
import { AvatarService } from "../profiles/avatar.service.js";
import type { FinalFailureHooks, JobHandlers, ScheduledJob } from "../queues/jobs.js";
import { RateLimiter } from "../rate-limit/rate-limiter.js";
import type { BlockService } from "../social/block.service.js";
import type { FollowService } from "../social/follow.service.js";
import { createSocialModule } from "../social/social.module.js";
import { createVideoModule, type VideoServices } from "../videos/video.module.js";
import { FollowRepository } from "../social/follow.repository.js";
import { createPostsModule, type PostServices } from "../posts/posts.module.js";
import { PostMediaAttachments } from "../posts/post-media.js";
import type { Platform } from "./platform.js";

/** Turns a bearer token into the acting user, or throws. */
export interface AccessGuard {
  authenticate(token: unknown): Promise<VerifiedAccess>;
}

/** Every domain service, as transports reach them. */
export interface Services extends IdentityServices {
  tokens: AccessTokens;
  accessGuard: AccessGuard;
  maintenance: MaintenanceService;
  rateLimiter: RateLimiter;
  /** Domain events: publish after writes, subscribe in-process or durably. */
  events: DomainEventBus;
  /** Re-dispatches outbox entries a dead process left behind. */
  outboxSweeper: OutboxSweeper;
  /** Blocks and privacy: the one place every service asks "may this user see/do that?". */
  access: AccessControlService;
  /** Profiles: ensureProfile at registration, summaries/existence for other services, the profile API. */
  profiles: ProfileService;
  /** Avatars as uploads: set, replace and remove (releasing the previous upload). */
  avatars: AvatarService;
  /** Follows and follow requests (counters exact under retries and races). */
  follows: FollowService;
  /** Blocking: hides two users from each other everywhere. */
  blocks: BlockService;
  /** Presence per device across gateway replicas, watchers, last seen (privacy-aware). */
  presence: PresenceService;
  /** Typing indicators (3 s, throttled), members only. */
  typing: TypingService;
  /** Chat: conversations, groups, messages, receipts, sync. */
  chat: ChatServices;
  /** Videos and shorts: catalogue, transcoding, views and engagement, trending. */
  videos: VideoServices;
  /** Media uploads: signed/resumable targets, byte checks and processing, URLs for the domains that show media. */
  media: MediaService;
  /** The object storage port (local filesystem or S3) media and videos keep bytes in. */
  storage: ObjectStorage;
  /** Posts, comments, reactions, polls, shares, timelines, the home feed, trending hashtags. */
  posts: PostServices;
  /** Calls: signalling state machine, WebRTC relay, history, ICE servers. */
  calls: CallServices;
  /** Notifications (grouped, per-type preferences, socket and device push), announcements, push subscriptions. */
  notifications: NotificationsServices;
}

type NotificationsServices = ReturnType<typeof createNotificationsModule>["services"];

/** What the worker host runs: one handler per job, the final-failure hooks, and the schedules. */
export interface JobRuntime {
  handlers: JobHandlers;
  finalFailureHooks: FinalFailureHooks;
  schedules: ScheduledJob[];
}

export interface Composition {
  services: Services;
  jobs: JobRuntime;
}

/**
 * The composition root: every domain module, built once per process from the
 * platform's clients, each given only what it uses. Adding a domain is one
 * module here (and its job handlers in the exhaustive map).
 */
export function composeModules(platform: Platform): Composition {
  const { config, logger, mongo, pg, redis, realtime, jobs } = platform;
  const db = mongo.db;

  const eventsModule = createEventsModule({
    db,
    pool: pg,
    jobs,
    logger,
    staleMs: config.OUTBOX_STALE_MS,
    sweepIntervalMs: config.OUTBOX_SWEEP_INTERVAL_MS,
    hold: config.OUTBOX_TEST_HOLD,
  });
  const { events } = eventsModule;
  const tokens = new AccessTokens(config);
  const rateLimiter = new RateLimiter(redis);

  const profilesModule = createProfilesModule({ db, redis, events, logger });
  const { access, profiles } = profilesModule;
  const social = createSocialModule({ db, access, profiles, profileRepository: profilesModule.profileRepository, events, logger });
  const identity = createIdentityModule({ config, logger, pool: pg, transactor: new Transactor(pg), redis, realtime, events, jobs, tokens, rateLimiter, profiles });
  const media = createMediaModule({ config, db, jobs, realtime, events, logger });
  // Presence is built after chat (it reads conversations to authorize watches); sends ask it only once composed.
  const online = { onlineAmong: (userIds: readonly string[]) => presence.online.onlineAmong(userIds) };
  const chat = createChatModule({
    db,
    redis,
    access,
    online,
    directory: profiles,
    realtime,
    events,
    media: media.services.media,
    logger,
    gapWindowMs: config.CHAT_GAP_WINDOW_MS,
    hooks: chatTestHooks(config),
    invalidations: platform.invalidations,
  });
  announceChatInvalidations(events, platform.invalidations);
  const presence = createPresenceModule({
    redis,
    pool: pg,
    access,
    conversations: chat.services.conversations,
    realtime,
    events,
    logger,
    ttlSeconds: config.PRESENCE_TTL_SECONDS,
    maxDevicesPerUser: config.SOCKET_MAX_CONNECTIONS_PER_USER,
    invalidations: platform.invalidations,
  });
  const videos = createVideoModule({ config, db, redis, jobs, realtime, events, access, logger, storage: media.services.storage, media: media.services.media });
  videos.subscribeToUploads();
  const posts = createPostsModule({
    db,
    redis,
    access,
    profiles: profilesModule.profileRepository,
    followRepository: new FollowRepository(db),
    events,
    jobs,
    online: presence.presence,
    realtime,
    media: new PostMediaAttachments(media.services.media),
    feed: {
      batchSize: config.FEED_FANOUT_BATCH,
      bigAuthorFollowers: config.FEED_BIG_AUTHOR_FOLLOWERS,
      rebuildPosts: config.FEED_REBUILD_POSTS,
      rebuildMaxFollowing: 2000,
      mergeOnFollow: 40,
      timelineMax: config.FEED_TIMELINE_MAX,
      timelineTtlSeconds: config.FEED_TIMELINE_TTL_SECONDS,
    },
    trends: {
      minAccounts: config.TRENDS_MIN_ACCOUNTS,
      halfLifeMs: config.TRENDS_HALF_LIFE_MINUTES * 60_000,
      peakMaxAgeMs: 2 * 86_400_000,
      rankingSize: 100,
      refreshEveryMs: config.TRENDS_REFRESH_SECONDS * 1000,
    },
    logger,
  });
  const calls = createCallsModule({ config, db, redis, realtime, jobs, events, logger, chat: chat.services, access, invalidations: platform.invalidations });
  const notifications = createNotificationsModule({
    config,
    db,
    pool: pg,
    events,
    jobs,
    realtime,
    access,
    profiles,
    presence: presence.presence,
    conversations: chat.services.conversations,
    mailer: identity.services.messages,
    logger,
  });
  const maintenance = createMaintenanceModule({
    tasks: [
      ...identity.services.maintenanceTasks,
      ...social.maintenanceTasks,
      ...chat.maintenanceTasks,
      ...presence.maintenanceTasks,
      ...notifications.maintenanceTasks,
      ...videos.maintenanceTasks,
      ...media.maintenanceTasks,
      ...posts.maintenanceTasks,
    ],
    logger,
  });
  eventsModule.registerOutbox(
    ...profilesModule.outboxCollections,
    ...social.outboxCollections,
    ...chat.outboxCollections,
    ...videos.outboxCollections,
    ...posts.outboxCollections,
    ...calls.outboxCollections,
    ...media.outboxCollections,
  );

  const { accessGuard, maintenanceTasks: _identityTasks, ...identityServices } = identity.services;
  const services: Services = {
    ...identityServices,
    tokens,
    accessGuard,
    maintenance: maintenance.maintenance,
    rateLimiter,
    events,
    outboxSweeper: eventsModule.sweeper,
    access,
    profiles,
    avatars: new AvatarService(profilesModule.profileRepository, media.services.media, events),
    follows: social.follows,
    blocks: social.blocks,
    presence: presence.presence,
    typing: presence.typing,
    chat: chat.services,
    videos: videos.services,
    ...media.services,
    posts: posts.services,
    calls: calls.services,
    notifications: notifications.services,
  };
  const handlers = {
    ...eventsModule.jobHandlers,
    ...maintenance.jobHandlers,
    ...identity.jobHandlers,
    ...videos.jobHandlers,
    ...media.jobHandlers,
    ...posts.jobHandlers,
    ...calls.jobHandlers,
    ...notifications.jobHandlers,
  } satisfies JobHandlers;
  return {
    services,
    jobs: {
      handlers,
      finalFailureHooks: { ...videos.finalFailureHooks, ...media.finalFailureHooks },
      schedules: [...eventsModule.scheduledJobs, ...maintenance.scheduledJobs, ...videos.scheduledJobs, ...posts.scheduledJobs, ...notifications.scheduledJobs],
    },
  };
}

/** The services alone (transports and tests that run no workers). */
export function createServices(platform: Platform): Services {
  return composeModules(platform).services;
}
