import { AppError } from "../errors/app-error.js";
import type { FollowRepository } from "../social/follow.repository.js";
import { SUBSCRIPTION_KINDS, type AuthorSubscriptionRepository, type SubscriptionKind } from "./author-subscription.repository.js";

/** What a follower hears about from an author. */
export type AuthorSubscriptionView = Record<SubscriptionKind, boolean>;

/**
 * "Notify me of new posts / videos" per followed author. Only an accepted
 * follower may ask; unfollowing or a block ends it (the module's
 * subscribers), and the fan-out re-checks the follow and blocks anyway.
 */
export class AuthorSubscriptionService {
  constructor(
    private readonly subscriptions: AuthorSubscriptionRepository,
    private readonly follows: Pick<FollowRepository, "find">,
  ) {}

  async get(actor: { userId: string }, authorId: string): Promise<AuthorSubscriptionView> {
    return toView(await this.subscriptions.get(authorId, actor.userId));
  }

  /** Switches kinds on or off (only those given). */
  async set(actor: { userId: string }, authorId: string, changes: Partial<AuthorSubscriptionView>): Promise<AuthorSubscriptionView> {
    if (authorId === actor.userId) throw new AppError("BAD_REQUEST", "You cannot subscribe to your own posts");
    const turningOn = Object.values(changes).some((on) => on === true);
    if (turningOn && (await this.follows.find(actor.userId, authorId))?.status !== "accepted") {
      throw new AppError("FORBIDDEN", "Follow this account before asking to be notified of its posts");
    }
    const current = toView(await this.subscriptions.get(authorId, actor.userId));
    const next = { ...current, ...changes };
    await this.subscriptions.set(authorId, actor.userId, SUBSCRIPTION_KINDS.filter((kind) => next[kind]), new Date());
    return next;
  }

  /** A follow edge went (unfollow, removed follower): its subscription goes too. */
  async followEnded(followerId: string, followeeId: string): Promise<void> {
    await this.subscriptions.removePairs([{ authorId: followeeId, userId: followerId }]);
  }

  /** A block ends subscriptions both ways. */
  async blocked(blockerId: string, blockedId: string): Promise<void> {
    await this.subscriptions.removePairs([{ authorId: blockerId, userId: blockedId }, { authorId: blockedId, userId: blockerId }]);
  }
}

function toView(kinds: readonly SubscriptionKind[]): AuthorSubscriptionView {
  return { posts: kinds.includes("posts"), videos: kinds.includes("videos") };
}
