import type { AccessControlService } from "../access/access-control.service.js";
import type { DomainEventBus } from "../events/event-bus.js";
import { AppError } from "../errors/app-error.js";
import type { ProfileRepository } from "../profiles/profile.repository.js";
import type { Actor } from "../auth/actor.js";
import { toSummary } from "../profiles/profile-view.js";
import type { ProfileSummary } from "../profiles/profile.types.js";
import type { BlockRepository } from "./block.repository.js";
import type { FollowService } from "./follow.service.js";
import { decodeCursor, encodeCursor, type Page, type PageRequest } from "./page-cursor.js";

/** A user on the actor's blocked list. */
export interface BlockedItem extends ProfileSummary {
  blockedAt: string;
}

/**
 * Blocking: recorded first, then the cached block sets of both users are
 * dropped, then the follows between them are removed both ways (counters
 * with them). A follow racing the block re-checks the store after its insert,
 * so no edge survives a block.
 */
export class BlockService {
  constructor(
    private readonly blocks: BlockRepository,
    private readonly profileStore: ProfileRepository,
    private readonly follows: FollowService,
    private readonly access: AccessControlService,
    private readonly events: DomainEventBus,
  ) {}

  /** Blocks a user; idempotent. Works even if they blocked the actor first (without revealing it). */
  async block(actor: Actor, targetId: string): Promise<void> {
    if (actor.userId === targetId) throw new AppError("BAD_REQUEST", "You cannot block yourself");
    const target = await this.profileStore.findByUserId(targetId);
    if (!target || target.isDeleted) throw new AppError("PROFILE_NOT_FOUND", "Profile not found");
    const entry = this.events.record("social.blocked", { blockerId: actor.userId, blockedId: targetId });
    const inserted = await this.blocks.insert(actor.userId, targetId, new Date(), [entry]);
    await this.access.invalidateBlocks(actor.userId, targetId);
    await this.narrowed(actor.userId, targetId);
    if (inserted) await this.events.published({ collection: "blockedUsers", filter: { blockerId: actor.userId, blockedId: targetId } }, [entry]);
    // Even on a retried block: a previous attempt may have stopped before this step.
    await this.follows.removeEdge(actor.userId, targetId);
    await this.follows.removeEdge(targetId, actor.userId);
  }

  /** Lifts the actor's block; idempotent. Follows removed by the block are not restored. */
  async unblock(actor: Actor, targetId: string): Promise<void> {
    if (actor.userId === targetId) throw new AppError("BAD_REQUEST", "You cannot unblock yourself");
    await this.blocks.remove(actor.userId, targetId);
    await this.access.invalidateBlocks(actor.userId, targetId);
    await this.narrowed(actor.userId, targetId);
  }

  /** Both users' watchers ask again (presence) and cached answers about them go, whichever way the block went. */
  private async narrowed(userA: string, userB: string): Promise<void> {
    await Promise.all([this.events.emit("profile.visibility-narrowed", { userId: userA }), this.events.emit("profile.visibility-narrowed", { userId: userB })]);
  }

  /** Deletes every block a (deleted) user made or received, and the cached sets it touched. */
  async removeAllOf(userId: string): Promise<number> {
    const others = await this.blocks.removeAllOf(userId);
    for (const other of others) {
      await this.access.invalidateBlocks(userId, other);
      await this.narrowed(userId, other);
    }
    return others.length;
  }

  /** The users the actor blocked, newest first (deleted accounts included, as their id only). */
  async listBlocked(actor: Actor, page: PageRequest): Promise<Page<BlockedItem>> {
    const records = await this.blocks.pageByBlocker(actor.userId, page.cursor && decodeCursor(page.cursor), page.limit + 1);
    const pageRecords = records.slice(0, page.limit);
    const profiles = new Map((await this.profileStore.findMany(pageRecords.map((r) => r.blockedId))).map((p) => [p.userId, p]));
    const items = pageRecords.map((record): BlockedItem => {
      const profile = profiles.get(record.blockedId);
      const summary: ProfileSummary = profile
        ? toSummary(profile)
        : { userId: record.blockedId, username: "", displayName: "Deleted account", avatarUrl: null, isVerified: false };
      return { ...summary, blockedAt: record.createdAt.toISOString() };
    });
    const last = pageRecords[pageRecords.length - 1];
    return { items, nextCursor: records.length > page.limit && last ? encodeCursor(last.id) : null };
  }
}
