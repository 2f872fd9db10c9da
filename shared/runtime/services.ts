import { AccessControlService } from "../access/access-control.service.js";
import { BlockCacheRepository } from "../access/block-cache.repository.js";
import { AccessTokens, type VerifiedAccess } from "../auth/access-token.js";
import { createAuthServices, type IdentityServices } from "../auth/auth-services.js";
import { createCallsModule, type CallServices } from "../calls/calls.module.js";
import { createChatServices, type ChatServices } from "../chat/chat.module.js";
import { MaintenanceService, type MaintenanceTask } from "../maintenance/maintenance.service.js";
import { LastSeenRepository } from "../presence/last-seen.repository.js";
import { PresenceRepository } from "../presence/presence.repository.js";
import { PresenceService } from "../presence/presence.service.js";
import { TypingRepository } from "../presence/typing.repository.js";
import { TypingService } from "../presence/typing.service.js";
import { ProfileRepository } from "../profiles/profile.repository.js";
import { ProfileService } from "../profiles/profile.service.js";
import { RateLimiter } from "../rate-limit/rate-limiter.js";
import { BlockRepository } from "../social/block.repository.js";
import { BlockService } from "../social/block.service.js";
import { followCountersTask } from "../social/follow-counters.task.js";
import { purgeDeletedProfilesTask } from "../social/profile-purge.task.js";
import { FollowRepository } from "../social/follow.repository.js";
import { FollowService } from "../social/follow.service.js";
import type { Platform } from "./platform.js";

/** Turns a bearer token into the acting user, or throws. */
export interface AccessGuard {
  authenticate(token: unknown): Promise<VerifiedAccess>;
}

/**
 * The composition root of the domain: every service, built once per process
 * from the platform's store clients. Transports receive this object.
 */
export interface Services extends IdentityServices {
  tokens: AccessTokens;
  accessGuard: AccessGuard;
  maintenance: MaintenanceService;
  rateLimiter: RateLimiter;
  /** Blocks and privacy: the one place every service asks "may this user see/do that?". */
  access: AccessControlService;
  /** Profiles: ensureProfile at registration, summaries/existence for other services, the profile API. */
  profiles: ProfileService;
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
  /** Calls: signalling state machine, WebRTC relay, history, ICE servers. */
  calls: CallServices;
  /** Job handlers contributed by domain modules. */
  callJobHandlers: ReturnType<typeof createCallsModule>["jobHandlers"];
}

export function createServices(platform: Platform): Services {
  const tokens = new AccessTokens(platform.config);
  const maintenanceTasks: MaintenanceTask[] = [];
  const profileRepository = new ProfileRepository(platform.mongo.db);
  const followRepository = new FollowRepository(platform.mongo.db);
  const blockRepository = new BlockRepository(platform.mongo.db);
  const access = new AccessControlService(
    blockRepository,
    new BlockCacheRepository(platform.redis),
    profileRepository,
    followRepository,
    platform.logger,
  );
  const profiles = new ProfileService(profileRepository, followRepository, access, platform.logger);
  const follows = new FollowService(followRepository, blockRepository, profileRepository, profiles, access, platform.logger);
  profiles.useGraphHooks({
    acceptAllPending: (userId) => follows.acceptAllPending(userId),
    removeAllEdges: (userId) => follows.removeAllEdgesOf(userId),
  });
  const blocks = new BlockService(blockRepository, profileRepository, follows, access);
  maintenanceTasks.push(followCountersTask(profileRepository, follows), purgeDeletedProfilesTask(profileRepository, follows, blocks));
  const presenceTtlMs = platform.config.PRESENCE_TTL_SECONDS * 1000;
  const presence = new PresenceService(
    new PresenceRepository(platform.redis, { deviceTtlMs: presenceTtlMs, keyTtlMs: presenceTtlMs * 5, drainGraceMs: presenceTtlMs }),
    new LastSeenRepository(platform.pg),
    access,
    platform.logger,
    platform.config.SOCKET_MAX_CONNECTIONS_PER_USER,
    platform.realtime,
  );
  maintenanceTasks.push(presence.reconcileTask());
  access.onAudienceNarrowed((userId) => presence.forgetWatchers(userId));
  const rateLimiter = new RateLimiter(platform.redis);
  const { accessGuard, maintenanceTasks: identityTasks, ...identity } = createAuthServices(platform, { tokens, rateLimiter, profiles });
  maintenanceTasks.push(...identityTasks);
  const chat = createChatServices(platform, access, profiles);
  const callsModule = createCallsModule(platform, { chat, access });
  const typing = new TypingService(new TypingRepository(platform.redis), chat.conversations, access);
  return {
    ...identity,
    tokens,
    accessGuard,
    maintenance: new MaintenanceService(maintenanceTasks, platform.logger),
    rateLimiter,
    access,
    profiles,
    follows,
    blocks,
    presence,
    typing,
    chat,
    calls: callsModule.services,
    callJobHandlers: callsModule.jobHandlers,
  };
}
