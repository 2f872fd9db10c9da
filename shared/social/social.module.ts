import type { Db } from "mongodb";
import type { AccessControlService } from "../access/access-control.service.js";
import type { DomainEventBus } from "../events/event-bus.js";
import type { OutboxCollection } from "../events/outbox-sweeper.js";
import type { Logger } from "../logging/logger.js";
import type { MaintenanceTask } from "../maintenance/maintenance.service.js";
import type { ProfileRepository } from "../profiles/profile.repository.js";
import type { ProfileService } from "../profiles/profile.service.js";
import { BlockRepository } from "./block.repository.js";
import { BlockService } from "./block.service.js";
import { followCountersTask } from "./follow-counters.task.js";
import { FollowRepository } from "./follow.repository.js";
import { FollowService } from "./follow.service.js";
import { purgeDeletedProfilesTask } from "./profile-purge.task.js";

export interface SocialModuleDeps {
  db: Db;
  access: AccessControlService;
  profiles: ProfileService;
  profileRepository: ProfileRepository;
  events: DomainEventBus;
  logger: Logger;
}

/**
 * The social graph: follows and follow requests, blocks. Reacts to profile
 * events durably: an account turned public accepts its waiting requests, a
 * deleted account loses its follows both ways (both idempotent, and tried
 * inline so the answer to the request that caused them already shows them).
 */
export function createSocialModule(deps: SocialModuleDeps) {
  const followRepository = new FollowRepository(deps.db);
  const blockRepository = new BlockRepository(deps.db);
  const log = deps.logger.child({ domain: "social" });
  const follows = new FollowService(followRepository, blockRepository, deps.profileRepository, deps.profiles, deps.access, log, deps.events);
  const blocks = new BlockService(blockRepository, deps.profileRepository, follows, deps.access, deps.events);

  deps.events.durable(
    "profile.became-public",
    "social.accept-waiting-requests",
    async ({ userId }, { log: jobLog }) => {
      // Re-checked: the account may have turned private again since.
      const profile = await deps.profileRepository.findByUserId(userId);
      if (!profile || profile.isDeleted || profile.privacy.isPrivate) return;
      const accepted = await follows.acceptAllPending(userId);
      if (accepted > 0) jobLog.info({ userId, accepted }, "account turned public; pending follow requests accepted");
    },
    { inline: true },
  );
  deps.events.durable("profile.deleted", "social.remove-edges-of-deleted", async ({ userId }) => void (await follows.removeAllEdgesOf(userId)), { inline: true });

  const maintenanceTasks: MaintenanceTask[] = [
    followCountersTask(deps.profileRepository, follows),
    purgeDeletedProfilesTask(deps.profileRepository, follows, blocks),
    // The blockedBy mirror made to match the blocks (backfill of older blocks; a crash between the two writes).
    { name: "blocks.mirror-repair", period: "weekly", run: () => blockRepository.repairMirror(500) },
  ];
  const outboxCollections: OutboxCollection[] = [
    { name: "follows", shardKey: ["followerId"] },
    { name: "blockedUsers", shardKey: ["blockerId"] },
  ];
  return { follows, blocks, maintenanceTasks, outboxCollections };
}
