import type { MaintenanceTask } from "../maintenance/maintenance.service.js";
import type { ProfileRepository } from "../profiles/profile.repository.js";
import type { BlockService } from "./block.service.js";
import type { FollowService } from "./follow.service.js";

/** How long a soft-deleted profile is kept before it is purged. */
export const PROFILE_RETENTION_DAYS = 30;
const BATCH = 200;

/**
 * Monthly purge of profiles soft-deleted more than PROFILE_RETENTION_DAYS ago:
 * their remaining follows (counters included) and blocks go, then the
 * document. Each step is idempotent, so a run cut short is finished by the next.
 */
export function purgeDeletedProfilesTask(profiles: ProfileRepository, follows: FollowService, blocks: BlockService): MaintenanceTask {
  return {
    name: "profiles.purge-deleted",
    period: "monthly",
    async run(now) {
      const before = new Date(now.getTime() - PROFILE_RETENTION_DAYS * 86_400_000);
      let purged = 0;
      let edges = 0;
      let blocksRemoved = 0;
      for (;;) {
        const userIds = await profiles.findDeletedBefore(before, BATCH);
        for (const userId of userIds) {
          edges += await follows.removeAllEdgesOf(userId);
          blocksRemoved += await blocks.removeAllOf(userId);
          if (await profiles.deleteByUserId(userId)) purged++;
        }
        if (userIds.length < BATCH) return { purged, edges, blocks: blocksRemoved };
      }
    },
  };
}
