import type { AccessControl } from "../access/access-control.js";
import type { ProfileRepository } from "../profiles/profile.repository.js";
import type { ProfileSummary } from "../profiles/profile.types.js";
import type { FollowRepository } from "../social/follow.repository.js";
import type { PostVisibility } from "./post.types.js";

/** What a viewer is to an author, as far as post visibility goes. */
export interface Relation {
  /** The author's profile is gone, or blocks stand between them. */
  hidden: boolean;
  isPrivate: boolean;
  follower: boolean;
  friend: boolean;
}

/**
 * The batch form of `AccessControl.canSeeContent`, for lists of posts by many
 * authors: the same rules (blocks either way hide everything; private accounts
 * show public posts to accepted followers only; followers = accepted followers;
 * friends = mutual follow; private = the author alone), with one store round
 * trip per kind of fact instead of one per post. `canSeeContent` stays the
 * single-post check; the post tests hold both to the same matrix.
 */
export class PostAudience {
  constructor(
    private readonly access: AccessControl,
    private readonly follows: FollowRepository,
    private readonly profiles: ProfileRepository,
  ) {}

  /** The viewer's relation to each author. */
  async relations(viewerId: string | undefined, authorIds: readonly string[]): Promise<Map<string, Relation>> {
    return (await this.relationsAndCards(viewerId, authorIds)).relations;
  }

  /**
   * The viewer's relation to each author, and the live authors' cards (the viewer's own
   * included), from one profiles query, one follows query (both directions) and the cached
   * block set.
   */
  async relationsAndCards(viewerId: string | undefined, authorIds: readonly string[]): Promise<{ relations: Map<string, Relation>; cards: Map<string, ProfileSummary> }> {
    const ids = [...new Set(authorIds)];
    const others = ids.filter((id) => id !== viewerId);
    const relations = new Map<string, Relation>();
    if (ids.length === 0) return { relations, cards: new Map() };
    const [profiles, blocked, edges] = await Promise.all([
      this.profiles.findCards(ids),
      viewerId && others.length > 0 ? this.access.blockedAmong(viewerId, others) : Promise.resolve(new Set<string>()),
      viewerId ? this.follows.edgesWith(viewerId, others) : Promise.resolve({ statuses: new Map<string, string>(), acceptedFollowers: new Set<string>() }),
    ]);
    const cards = new Map<string, ProfileSummary & { isPrivate: boolean }>(profiles.map((p) => [p.userId, p]));
    for (const id of others) {
      const card = cards.get(id);
      const follower = edges.statuses.get(id) === "accepted";
      relations.set(id, {
        hidden: !card || blocked.has(id),
        isPrivate: card?.isPrivate ?? true,
        follower,
        friend: follower && edges.acceptedFollowers.has(id),
      });
    }
    const summaries = new Map<string, ProfileSummary>();
    for (const c of profiles) summaries.set(c.userId, { userId: c.userId, username: c.username, displayName: c.displayName, avatarUrl: c.avatarUrl, isVerified: c.isVerified });
    return { relations, cards: summaries };
  }

  /** Whether a viewer with `relation` to the author may see a post of `visibility`. */
  static allows(viewerId: string | undefined, authorId: string, visibility: PostVisibility, relation: Relation | undefined): boolean {
    if (viewerId === authorId) return true;
    if (!relation || relation.hidden || visibility === "private") return false;
    if (viewerId === undefined) return visibility === "public" && !relation.isPrivate;
    switch (visibility) {
      case "public":
        return !relation.isPrivate || relation.follower;
      case "followers":
        return relation.follower;
      case "friends":
        return relation.friend;
    }
  }

  /** The visibilities of an author's posts a viewer may see (for index-served author timelines). */
  static visibleKinds(viewerId: string | undefined, authorId: string, relation: Relation | undefined): PostVisibility[] {
    const all: PostVisibility[] = ["public", "followers", "friends", "private"];
    return all.filter((v) => PostAudience.allows(viewerId, authorId, v, relation));
  }

  /** Whether one viewer may see one post (the single-post path: `canSeeContent` itself). */
  async canSee(viewerId: string | undefined, authorId: string, visibility: PostVisibility): Promise<boolean> {
    return this.access.canSeeContent(viewerId, authorId, visibility);
  }
}
