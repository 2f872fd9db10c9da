import type { Logger } from "../logging/logger.js";
import type { ProfileRepository } from "../profiles/profile.repository.js";
import type { Audience } from "../profiles/profile.types.js";
import type { BlockRepository } from "../social/block.repository.js";
import type { FollowRepository } from "../social/follow.repository.js";
import type { AccessControl, Visibility } from "./access-control.js";
import type { BlockCacheRepository } from "./block-cache.repository.js";

/**
 * The access rules every service asks, in one place:
 * - blocks (either way) hide two users from each other everywhere;
 * - a deleted or missing profile is visible to nobody but its owner;
 * - private accounts show their content to accepted followers only;
 * - "contacts" (who can message, last seen) means people the owner follows.
 * Blocks are read through a Redis cache invalidated on every change; if Redis
 * fails, the store answers instead, so a Redis outage never opens a block.
 */
export class AccessControlService implements AccessControl {
  constructor(
    private readonly blocks: BlockRepository,
    private readonly cache: BlockCacheRepository,
    private readonly profiles: ProfileRepository,
    private readonly follows: FollowRepository,
    private readonly logger: Logger,
  ) {}

  /** Every user `userId` blocked or is blocked by. */
  async blockedSet(userId: string): Promise<Set<string>> {
    try {
      const cached = await this.cache.members(userId);
      if (cached) return cached;
      const generation = await this.cache.generation(userId);
      const loaded = await this.blocks.blockedEitherWay(userId);
      await this.cache.fill(userId, generation, loaded);
      return new Set(loaded);
    } catch (error) {
      if (!isRedisFailure(error)) throw error;
      this.logger.warn({ err: error, userId }, "block cache unavailable; reading blocks from the store");
      return new Set(await this.blocks.blockedEitherWay(userId));
    }
  }

  async isBlockedEitherWay(userA: string, userB: string): Promise<boolean> {
    if (userA === userB) return false;
    return (await this.blockedAmong(userA, [userB])).has(userB);
  }

  async blockedAmong(userId: string, others: readonly string[]): Promise<Set<string>> {
    const candidates = [...new Set(others)].filter((id) => id !== userId);
    if (candidates.length === 0) return new Set();
    try {
      const flags = await this.cache.contains(userId, candidates);
      if (flags) return new Set(candidates.filter((_, i) => flags[i]));
    } catch (error) {
      if (!isRedisFailure(error)) throw error;
    }
    const all = await this.blockedSet(userId);
    return new Set(candidates.filter((id) => all.has(id)));
  }

  /** Drops cached block sets of both users; call after every block or unblock write. */
  async invalidateBlocks(userA: string, userB: string): Promise<void> {
    await this.cache.invalidate([userA, userB]);
  }

  async canViewProfile(viewerId: string | undefined, targetId: string): Promise<boolean> {
    const target = await this.profiles.findPrivacy(targetId);
    if (!target || target.isDeleted) return false;
    if (viewerId === undefined || viewerId === targetId) return true;
    return !(await this.isBlockedEitherWay(viewerId, targetId));
  }

  async canMessage(senderId: string, recipientId: string): Promise<boolean> {
    if (senderId === recipientId) return true;
    const recipient = await this.profiles.findPrivacy(recipientId);
    if (!recipient || recipient.isDeleted) return false;
    if (await this.isBlockedEitherWay(senderId, recipientId)) return false;
    return this.audienceAllows(recipient.privacy.whoCanMessage, recipientId, senderId);
  }

  async canSeeContent(viewerId: string | undefined, ownerId: string, visibility: Visibility): Promise<boolean> {
    if (viewerId === ownerId) return true;
    if (visibility === "private") return false;
    const owner = await this.profiles.findPrivacy(ownerId);
    if (!owner || owner.isDeleted) return false;
    if (viewerId === undefined) return (visibility === "public" || visibility === "unlisted") && !owner.privacy.isPrivate;
    if (await this.isBlockedEitherWay(viewerId, ownerId)) return false;
    const [viewerFollows, ownerFollows] = await this.follows.findPair(viewerId, ownerId);
    const follower = viewerFollows?.status === "accepted";
    switch (visibility) {
      case "public":
      case "unlisted":
        return !owner.privacy.isPrivate || follower;
      case "followers":
        return follower;
      case "friends":
        return follower && ownerFollows?.status === "accepted";
    }
  }

  async canSeeLastSeen(viewerId: string, targetId: string): Promise<boolean> {
    if (viewerId === targetId) return true;
    const target = await this.profiles.findPrivacy(targetId);
    if (!target || target.isDeleted) return false;
    if (await this.isBlockedEitherWay(viewerId, targetId)) return false;
    return this.audienceAllows(target.privacy.lastSeenVisibility, targetId, viewerId);
  }

  /** Whether `ownerId`'s audience setting admits `otherId` ("contacts": people the owner follows). */
  private async audienceAllows(audience: Audience, ownerId: string, otherId: string): Promise<boolean> {
    if (audience === "everyone") return true;
    if (audience === "nobody") return false;
    const follow = await this.follows.find(ownerId, otherId);
    return follow?.status === "accepted";
  }
}

/** ioredis failures (connection lost, command refused, retries exhausted), as opposed to store or logic errors. */
function isRedisFailure(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name ?? "";
  return name === "ReplyError" || name === "MaxRetriesPerRequestError" || (error as Error)?.message?.includes("Connection is closed") === true;
}
