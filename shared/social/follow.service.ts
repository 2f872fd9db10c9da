import type { AccessControlService } from "../access/access-control.service.js";
import type { DomainEventBus } from "../events/event-bus.js";
import { AppError } from "../errors/app-error.js";
import type { Logger } from "../logging/logger.js";
import type { ProfileRepository } from "../profiles/profile.repository.js";
import type { Actor } from "../auth/actor.js";
import { isAdmin, type ProfileService } from "../profiles/profile.service.js";
import type { ProfileCard } from "../profiles/profile-view.js";
import type { BlockRepository } from "./block.repository.js";
import type { FollowRepository } from "./follow.repository.js";
import type { FollowRecord, FollowStatus } from "./follow.types.js";
import { decodeCursor, encodeCursor, type Page, type PageRequest } from "./page-cursor.js";

/** A pending request as its target sees it. */
export interface FollowRequestItem extends ProfileCard {
  requestedAt: string;
}

const ACCEPT_BATCH = 200;

/**
 * The follow graph. Counters move only by writes that changed state (an
 * insert that happened, a delete that removed an accepted edge, a pending →
 * accepted transition that matched), so retries and races keep them exact.
 */
export class FollowService {
  constructor(
    private readonly follows: FollowRepository,
    private readonly blocks: BlockRepository,
    private readonly profileStore: ProfileRepository,
    private readonly profiles: ProfileService,
    private readonly access: AccessControlService,
    private readonly logger: Logger,
    private readonly events: DomainEventBus,
  ) {}

  /** Follows (public account) or asks to follow (private account); idempotent. */
  async follow(actor: Actor, targetId: string): Promise<{ status: FollowStatus }> {
    if (actor.userId === targetId) throw new AppError("BAD_REQUEST", "You cannot follow yourself");
    const [target, me] = await Promise.all([this.profileStore.findByUserId(targetId), this.profileStore.findByUserId(actor.userId)]);
    if (!target || target.isDeleted) throw notFound();
    if (!me || me.isDeleted) throw new AppError("PROFILE_NOT_FOUND", "Your profile does not exist");
    if (await this.access.isBlockedEitherWay(actor.userId, targetId)) await this.throwBlocked(actor.userId, targetId);

    const status: FollowStatus = target.privacy.isPrivate ? "pending" : "accepted";
    const entry = this.events.record(status === "accepted" ? "social.followed" : "social.follow-requested", { followerId: actor.userId, followeeId: targetId });
    let inserted = false;
    for (let attempt = 0; attempt < 3 && !inserted; attempt++) {
      const now = new Date();
      inserted = await this.follows.insert({ followerId: actor.userId, followeeId: targetId, status, createdAt: now, acceptedAt: status === "accepted" ? now : null, outbox: [entry] });
      if (inserted) break;
      // The pair exists (a retry): report it. If it vanished meanwhile (an unfollow racing), insert again.
      const existing = await this.follows.find(actor.userId, targetId);
      if (existing) return { status: existing.status };
    }
    if (!inserted) throw new AppError("CONFLICT", "The follow changed concurrently; try again");
    if (status === "accepted") await this.countEdge(actor.userId, targetId, 1);
    // A block written while we inserted may have missed our edge: the store (not the cache) decides.
    const between = await this.blocks.between(actor.userId, targetId);
    if (between.aBlockedB || between.bBlockedA) {
      await this.removeEdge(actor.userId, targetId);
      await this.throwBlocked(actor.userId, targetId);
    }
    await this.events.published({ collection: "follows", filter: { followerId: actor.userId, followeeId: targetId } }, [entry]);
    return { status };
  }

  /** Unfollows or withdraws a request; idempotent. */
  async unfollow(actor: Actor, targetId: string): Promise<void> {
    if (actor.userId === targetId) throw new AppError("BAD_REQUEST", "You cannot unfollow yourself");
    await this.removeEdge(actor.userId, targetId);
  }

  /** Removes the edge `followerId` → `followeeId` if any, moving counters if it was accepted. */
  async removeEdge(followerId: string, followeeId: string): Promise<FollowRecord | null> {
    // The edge's own document goes, so the event waits on the follower's profile, written first.
    // A process that dies before the delete leaves an event for an edge that still exists:
    // subscribers of social.unfollowed re-check the edge.
    const entry = this.events.record("social.unfollowed", { followerId, followeeId });
    const ref = { collection: "profiles", filter: { userId: followerId } };
    await this.profileStore.appendOutbox(followerId, [entry]);
    const removed = await this.follows.remove(followerId, followeeId);
    if (removed?.status === "accepted") {
      await this.countEdge(followerId, followeeId, -1);
      // The follower's "contacts" (people they follow) just lost someone.
      await this.events.emit("profile.visibility-narrowed", { userId: followerId });
    }
    if (removed) await this.events.published(ref, [entry]);
    else this.events.discard(ref, [entry]);
    return removed;
  }

  /** Accepts a pending request to follow the actor. */
  async acceptRequest(actor: Actor, followerId: string): Promise<{ status: FollowStatus }> {
    if (await this.acceptEdge(followerId, actor.userId)) return { status: "accepted" };
    const existing = await this.follows.find(followerId, actor.userId);
    if (existing?.status === "accepted") return { status: "accepted" };
    throw new AppError("NOT_FOUND", "No pending follow request from that user");
  }

  /** Declines (deletes) a pending request to follow the actor. */
  async declineRequest(actor: Actor, followerId: string): Promise<void> {
    if (!(await this.follows.removePending(followerId, actor.userId))) {
      throw new AppError("NOT_FOUND", "No pending follow request from that user");
    }
  }

  /** Accepts every pending request to follow `userId` (the account turned public); returns how many. */
  async acceptAllPending(userId: string): Promise<number> {
    let accepted = 0;
    for (;;) {
      const batch = await this.follows.pageByFollowee(userId, "pending", undefined, ACCEPT_BATCH);
      if (batch.length === 0) return accepted;
      for (const request of batch) if (await this.acceptEdge(request.followerId, userId)) accepted++;
      if (batch.length < ACCEPT_BATCH) return accepted;
    }
  }

  /** Removes every edge from or to `userId` (account deleted), counters included; returns how many. */
  async removeAllEdgesOf(userId: string): Promise<number> {
    let removed = 0;
    for (const status of ["accepted", "pending"] as const) {
      for (const side of ["follower", "followee"] as const) {
        for (;;) {
          const batch =
            side === "follower"
              ? await this.follows.pageByFollower(userId, status, undefined, ACCEPT_BATCH)
              : await this.follows.pageByFollowee(userId, status, undefined, ACCEPT_BATCH);
          for (const edge of batch) if (await this.removeEdge(edge.followerId, edge.followeeId)) removed++;
          if (batch.length < ACCEPT_BATCH) break;
        }
      }
    }
    return removed;
  }

  /** The actor's pending follow requests, newest first. */
  async listRequests(actor: Actor, page: PageRequest): Promise<Page<FollowRequestItem>> {
    const edges = await this.follows.pageByFollowee(actor.userId, "pending", page.cursor && decodeCursor(page.cursor), page.limit + 1);
    return this.toPage(actor, edges, page.limit, (edge) => edge.followerId, (edge, card) => ({ ...card, requestedAt: edge.createdAt.toISOString() }));
  }

  /** Accepted followers of `userId`; a private account shows them to its followers (and admins) only. */
  async listFollowers(viewer: Actor, userId: string, page: PageRequest): Promise<Page<ProfileCard>> {
    await this.requireListAccess(viewer, userId);
    const edges = await this.follows.pageByFollowee(userId, "accepted", page.cursor && decodeCursor(page.cursor), page.limit + 1);
    return this.toPage(viewer, edges, page.limit, (edge) => edge.followerId, (_edge, card) => card);
  }

  /** Whom `userId` follows (accepted), with the same visibility rule. */
  async listFollowing(viewer: Actor, userId: string, page: PageRequest): Promise<Page<ProfileCard>> {
    await this.requireListAccess(viewer, userId);
    const edges = await this.follows.pageByFollower(userId, "accepted", page.cursor && decodeCursor(page.cursor), page.limit + 1);
    return this.toPage(viewer, edges, page.limit, (edge) => edge.followeeId, (_edge, card) => card);
  }

  /** Recounts a user's follower/following counters from the edges; true when they had drifted. */
  async recount(userId: string): Promise<boolean> {
    const counted = await this.follows.countAccepted(userId);
    const profile = await this.profileStore.findByUserId(userId);
    if (!profile) return false;
    if (profile.stats.followersCount === counted.followersCount && profile.stats.followingCount === counted.followingCount) return false;
    this.logger.warn({ userId, stored: profile.stats, counted }, "follow counters drifted; repaired");
    return this.profileStore.setSocialStats(userId, counted);
  }

  private async acceptEdge(followerId: string, followeeId: string): Promise<boolean> {
    const entry = this.events.record("social.follow-accepted", { followerId, followeeId });
    if (!(await this.follows.accept(followerId, followeeId, new Date(), [entry]))) return false;
    await this.countEdge(followerId, followeeId, 1);
    await this.events.published({ collection: "follows", filter: { followerId, followeeId } }, [entry]);
    return true;
  }

  private async countEdge(followerId: string, followeeId: string, delta: 1 | -1): Promise<void> {
    await Promise.all([
      this.profileStore.incrementSocialStats(followeeId, { followersCount: delta }),
      this.profileStore.incrementSocialStats(followerId, { followingCount: delta }),
    ]);
  }

  private async requireListAccess(viewer: Actor, userId: string): Promise<void> {
    const target = await this.profileStore.findByUserId(userId);
    if (!target || target.isDeleted) throw notFound();
    if (viewer.userId === userId) return;
    if (await this.access.isBlockedEitherWay(viewer.userId, userId)) throw notFound();
    if (!target.privacy.isPrivate || isAdmin(viewer)) return;
    const edge = await this.follows.find(viewer.userId, userId);
    if (edge?.status !== "accepted") throw new AppError("FORBIDDEN", "This account is private");
  }

  private async toPage<T>(
    viewer: Actor,
    edges: FollowRecord[],
    limit: number,
    other: (edge: FollowRecord) => string,
    shape: (edge: FollowRecord, card: ProfileCard) => T,
  ): Promise<Page<T>> {
    const pageEdges = edges.slice(0, limit);
    const profiles = await this.profileStore.findMany(pageEdges.map(other));
    const cards = new Map((await this.profiles.cards(viewer, profiles)).map((c) => [c.userId, c]));
    const items: T[] = [];
    for (const edge of pageEdges) {
      const card = cards.get(other(edge));
      if (card) items.push(shape(edge, card));
    }
    const last = pageEdges[pageEdges.length - 1];
    return { items, nextCursor: edges.length > limit && last ? encodeCursor(last.id) : null };
  }

  /** Acting on someone you blocked is refused plainly; on someone who blocked you, they read as absent. */
  private async throwBlocked(actorId: string, targetId: string): Promise<never> {
    const between = await this.blocks.between(actorId, targetId);
    if (between.aBlockedB) throw new AppError("BLOCKED", "You have blocked this user; unblock them first");
    throw notFound();
  }
}

const notFound = (): AppError => new AppError("PROFILE_NOT_FOUND", "Profile not found");
