import type { DomainEventBus } from "../events/event-bus.js";
import type { InvalidationChannel } from "../realtime/invalidation-channel.js";
import type { DirectPermissionCache } from "./direct-permission.cache.js";
import type { MemberListCache } from "./member-list.cache.js";

/**
 * Turns the domain events that change who may message whom into invalidations
 * for every process. Register once per process (the composition root): the
 * events run in the process that made the change, which publishes.
 *   - `social.blocked`, `social.followed`, `social.follow-accepted`, `social.unfollowed`: the pair;
 *   - `profile.visibility-narrowed` (blocks and unblocks, follows removed, narrower
 *     audiences), `profile.messaging-changed` (the "who can message" setting),
 *     `profile.deleted`: every answer about the user.
 */
export function announceChatInvalidations(events: DomainEventBus, channel: InvalidationChannel): void {
  const pair = (a: string, b: string) => channel.publish({ pairs: [[a, b]] });
  events.on("social.blocked", ({ blockerId, blockedId }) => pair(blockerId, blockedId));
  events.on("social.followed", ({ followerId, followeeId }) => pair(followerId, followeeId));
  events.on("social.follow-accepted", ({ followerId, followeeId }) => pair(followerId, followeeId));
  events.on("social.unfollowed", ({ followerId, followeeId }) => pair(followerId, followeeId));
  for (const name of ["profile.visibility-narrowed", "profile.messaging-changed", "profile.deleted"] as const) {
    events.on(name, ({ userId }) => channel.publish({ users: [userId] }));
  }
}

/** Makes this process's chat caches obey invalidations from every process, and announce membership changes. */
export function subscribeChatCaches(channel: InvalidationChannel, caches: { permissions: DirectPermissionCache; memberLists?: MemberListCache }): void {
  const { permissions, memberLists } = caches;
  if (memberLists) memberLists.onChange = (id, version) => channel.publish({ conversations: [{ id, version }] });
  channel.subscribe((invalidation) => {
    if (invalidation === "all") {
      permissions.clear();
      memberLists?.clear();
      return;
    }
    for (const userId of invalidation.users ?? []) permissions.forgetUser(userId);
    for (const [a, b] of invalidation.pairs ?? []) permissions.forget(a, b);
    for (const { id, version } of invalidation.conversations ?? []) memberLists?.drop(id, version);
  });
}
