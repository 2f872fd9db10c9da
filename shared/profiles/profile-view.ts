import type { OwnProfileView, Profile, ProfileSummary, ProfileView, Relationship } from "./profile.types.js";

/** A card in lists and search results. */
export interface ProfileCard extends ProfileSummary {
  bio: string;
  isPrivate: boolean;
  relationship?: Relationship;
}

export function toSummary(profile: Profile): ProfileSummary {
  return {
    userId: profile.userId,
    username: profile.username,
    displayName: profile.displayName,
    avatarUrl: profile.avatarUrl ?? null,
    isVerified: profile.verification.isVerified,
  };
}

export function toCard(profile: Profile, relationship?: Relationship): ProfileCard {
  const card: ProfileCard = { ...toSummary(profile), bio: profile.bio, isPrivate: profile.privacy.isPrivate };
  if (relationship) card.relationship = relationship;
  return card;
}

/**
 * What another user sees. `full` (public account, accepted follower, or an
 * admin) adds the social links a private account keeps to its followers.
 */
export function toView(profile: Profile, options: { full: boolean; relationship?: Relationship }): ProfileView {
  const view: ProfileView = {
    ...toSummary(profile),
    avatar: profile.avatar ? { mediaId: profile.avatar.mediaId, url: profile.avatar.url, thumbnailUrl: profile.avatar.thumbnailUrl } : null,
    bio: profile.bio,
    isPrivate: profile.privacy.isPrivate,
    stats: { ...profile.stats },
    verifiedAt: profile.verification.verifiedAt?.toISOString() ?? null,
    createdAt: profile.createdAt.toISOString(),
  };
  if (options.full) view.socialLinks = profile.socialLinks.map((l) => ({ ...l }));
  if (options.relationship) view.relationship = options.relationship;
  return view;
}

/** What the owner sees: everything, settings included. */
export function toOwnView(profile: Profile): OwnProfileView {
  return {
    ...toView(profile, { full: true }),
    socialLinks: profile.socialLinks.map((l) => ({ ...l })),
    privacy: { ...profile.privacy },
    notificationPreferences: { ...profile.notificationPreferences },
    updatedAt: profile.updatedAt.toISOString(),
  };
}
