import type { Db } from "mongodb";
import { AccessControlService } from "../access/access-control.service.js";
import { BlockCacheRepository } from "../access/block-cache.repository.js";
import type { Redis } from "../db/redis.js";
import type { DomainEventBus } from "../events/event-bus.js";
import type { OutboxCollection } from "../events/outbox-sweeper.js";
import type { Logger } from "../logging/logger.js";
import { BlockRepository } from "../social/block.repository.js";
import { FollowRepository } from "../social/follow.repository.js";
import { ProfileRepository } from "./profile.repository.js";
import { ProfileService } from "./profile.service.js";

export interface ProfilesModuleDeps {
  db: Db;
  redis: Redis;
  events: DomainEventBus;
  logger: Logger;
}

/**
 * Profiles and the access rules every domain asks (blocks, privacy, who may
 * message or see last seen), which read profiles, follows and blocks.
 */
export function createProfilesModule(deps: ProfilesModuleDeps) {
  const profileRepository = new ProfileRepository(deps.db);
  const followRepository = new FollowRepository(deps.db);
  const access = new AccessControlService(
    new BlockRepository(deps.db),
    new BlockCacheRepository(deps.redis),
    profileRepository,
    followRepository,
    deps.logger,
  );
  const profiles = new ProfileService(profileRepository, followRepository, access, deps.events);
  const outboxCollections: OutboxCollection[] = [{ name: "profiles", shardKey: ["userId"] }];
  return { access, profiles, profileRepository, outboxCollections };
}
