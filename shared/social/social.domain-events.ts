/** What the social graph announces. */
export interface SocialDomainEvents {
  /** `followerId` now follows `followeeId` (accepted at once: a public account). */
  "social.followed": { followerId: string; followeeId: string };
  /** `followerId` asked to follow the private account `followeeId`. */
  "social.follow-requested": { followerId: string; followeeId: string };
  /** `followeeId` accepted `followerId`'s request. */
  "social.follow-accepted": { followerId: string; followeeId: string };
  /** `followerId` stopped following `followeeId` (or was removed as a follower). */
  "social.unfollowed": { followerId: string; followeeId: string };
  /** `blockerId` blocked `blockedId`: the two are hidden from each other everywhere. */
  "social.blocked": { blockerId: string; blockedId: string };
}
