/**
 * The one place that answers "may this user see or do that to that user?".
 * Every service (chat, posts, videos, calls, notifications, search) asks it,
 * so blocks and privacy are enforced everywhere the same way.
 */
export type Visibility = "public" | "followers" | "friends" | "private" | "unlisted";

export interface AccessControl {
  /** True when either user has blocked the other (cached in Redis, invalidated on change). */
  isBlockedEitherWay(userA: string, userB: string): Promise<boolean>;
  /** Of `others`, those that `userId` has blocked or is blocked by. */
  blockedAmong(userId: string, others: readonly string[]): Promise<Set<string>>;
  /** Whether `viewerId` may see `targetId`'s profile (not blocked; private accounts show a reduced view). */
  canViewProfile(viewerId: string | undefined, targetId: string): Promise<boolean>;
  /** Whether `senderId` may start or continue a direct conversation with `recipientId` (blocks + "who can message"). */
  canMessage(senderId: string, recipientId: string): Promise<boolean>;
  /** Whether `viewerId` may see `ownerId`'s content of the given visibility. */
  canSeeContent(viewerId: string | undefined, ownerId: string, visibility: Visibility): Promise<boolean>;
  /** Whether `viewerId` may see `targetId`'s online status and last-seen time. */
  canSeeLastSeen(viewerId: string, targetId: string): Promise<boolean>;
}
