import type { AccessControl } from "../access/access-control.js";
import type { ProfileRepository } from "../profiles/profile.repository.js";
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
    const others = [...new Set(authorIds)].filter((id) => id !== viewerId);
    const out = new Map<string, Relation>();
    if (others.length === 0) return out;
    const [profiles, blocked, following, followers] = await Promise.all([
      this.profiles.findMany(others),
      viewerId ? this.access.blockedAmong(viewerId, others) : Promise.resolve(new Set<string>()),
      viewerId ? this.follows.statusesFrom(viewerId, others) : Promise.resolve(new Map<string, string>()),
      viewerId ? this.follows.acceptedFollowersAmong(viewerId, others) : Promise.resolve(new Set<string>()),
    ]);
    const byId = new Map(profiles.map((p) => [p.userId, p]));
    for (const id of others) {
      const profile = byId.get(id);
      const follower = following.get(id) === "accepted";
      out.set(id, {
        hidden: !profile || profile.isDeleted || blocked.has(id),
        isPrivate: profile?.privacy.isPrivate ?? true,
        follower,
        friend: follower && followers.has(id),
      });
    }
    return out;
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
