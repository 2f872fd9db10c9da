import type { MaintenanceTask } from "../maintenance/maintenance.service.js";
import type { ProfileRepository } from "../profiles/profile.repository.js";
import type { FollowService } from "./follow.service.js";

const BATCH = 500;

/**
 * Weekly repair of follower/following counters. They are exact under retries
 * and races by construction; only a process dying between an edge write and
 * its counter update can leave one off, and this recount puts it right.
 */
export function followCountersTask(profiles: ProfileRepository, follows: FollowService): MaintenanceTask {
  return {
    name: "profiles.recount-follow-counters",
    period: "weekly",
    async run() {
      let checked = 0;
      let repaired = 0;
      let after = "";
      for (;;) {
        const userIds = await profiles.userIdsAfter(after, BATCH);
        for (const userId of userIds) {
          checked++;
          if (await follows.recount(userId)) repaired++;
        }
        const last = userIds[userIds.length - 1];
        if (userIds.length < BATCH || last === undefined) return { checked, repaired };
        after = last;
      }
    },
  };
}
