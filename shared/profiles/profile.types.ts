/**
 * The profile domain's shapes: the stored document and the views clients get.
 * Kept free of driver types so every service (and the web client) can import them.
 */

/** Who may message me / see my last seen: everyone, people I follow, or nobody. */
export const AUDIENCES = ["everyone", "contacts", "nobody"] as const;
export type Audience = (typeof AUDIENCES)[number];

/** Every notification type a user can switch on or off, one flag each. */
export const NOTIFICATION_TYPES = [
  "follow",
  "unfollow",
  "follow_request",
  "follow_accepted",
  "post_like",
  "post_comment",
  "post_share",
  "post_mention",
  "comment_like",
  "comment_reply",
  "video_like",
  "video_comment",
  "video_share",
  "video_processed",
  "video_published",
  "post_published",
  "message",
  "message_mention",
  "group_invite",
  "group_mention",
  "call_missed",
  "system",
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];
export type NotificationPreferences = Record<NotificationType, boolean>;

export interface PrivacySettings {
  /** Followers must be approved; content and lists are shown to accepted followers only. */
  isPrivate: boolean;
  whoCanMessage: Audience;
  lastSeenVisibility: Audience;
}

export interface ProfileStats {
  followersCount: number;
  followingCount: number;
  postsCount: number;
  videosCount: number;
  viewsCount: number;
}

/** Counters other domains may move (followers/following belong to the social graph). */
export type ContentStat = "postsCount" | "videosCount" | "viewsCount";

export interface SocialLink {
  platform: string;
  url: string;
}

export interface Verification {
  isVerified: boolean;
  verifiedAt: Date | null;
}

/** A profile as stored (one per user, keyed by the identity service's user id). */
export interface Profile {
  userId: string;
  username: string;
  /** Lower-cased username: the unique key that makes usernames case-insensitive. */
  usernameLower: string;
  displayName: string;
  bio: string;
  /** The avatar's display URL (what cards show); set from `avatar`. Profiles from before avatars were uploads may hold a plain URL here. */
  avatarUrl: string | null;
  /** The avatar upload (purpose `avatar`, public); absent or null: none. */
  avatar?: ProfileAvatar | null;
  privacy: PrivacySettings;
  notificationPreferences: NotificationPreferences;
  stats: ProfileStats;
  verification: Verification;
  socialLinks: SocialLink[];
  isDeleted: boolean;
  deletedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** An avatar: the upload it is, its stable public URLs, and the reference that keeps the upload alive. */
export interface ProfileAvatar {
  mediaId: string;
  /** The display size (1280 px at most, WebP). */
  url: string;
  /** 320 px WebP. */
  thumbnailUrl: string;
  /** The upload's reference for this use (`avatar:<userId>:<nonce>`), dropped when the avatar is replaced or removed. */
  ref: string;
}

/** The few fields other services need to show a user (chat participants, authors...). */
export interface ProfileSummary {
  userId: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
  isVerified: boolean;
}

/** The viewer's relation to a profile, from the viewer's side. */
export interface Relationship {
  /** My follow of them: none, a pending request, or accepted. */
  following: "none" | "pending" | "accepted";
  /** Whether they follow me (accepted). */
  followedBy: boolean;
}

/** What another user sees. Social links are left out of private accounts the viewer does not follow. */
export interface ProfileView extends ProfileSummary {
  /** The avatar upload's public URLs (display size and thumbnail), or null. */
  avatar: { mediaId: string; url: string; thumbnailUrl: string } | null;
  bio: string;
  isPrivate: boolean;
  stats: ProfileStats;
  verifiedAt: string | null;
  socialLinks?: SocialLink[];
  createdAt: string;
  relationship?: Relationship;
}

/** What the owner sees of their own profile. */
export interface OwnProfileView extends ProfileView {
  privacy: PrivacySettings;
  notificationPreferences: NotificationPreferences;
  socialLinks: SocialLink[];
  updatedAt: string;
}

export const MAX_SOCIAL_LINKS = 10;
export const MAX_BIO_LENGTH = 500;
export const MAX_DISPLAY_NAME_LENGTH = 64;
export const MAX_URL_LENGTH = 2048;
/** Letters, digits and underscores; 3 to 30 characters. */
export const USERNAME_PATTERN = /^[A-Za-z0-9_]{3,30}$/;
/** The role whose holders moderate profiles (verification badges, private lists). */
export const ADMIN_ROLE = "admin";

export const DEFAULT_PRIVACY: PrivacySettings = Object.freeze({
  isPrivate: false,
  whoCanMessage: "everyone",
  lastSeenVisibility: "everyone",
}) as PrivacySettings;

/** Every type on by default but unfollows (opt-in); users opt out per type. */
export function defaultNotificationPreferences(): NotificationPreferences {
  return Object.fromEntries(NOTIFICATION_TYPES.map((type) => [type, type !== "unfollow"])) as NotificationPreferences;
}

export function emptyStats(): ProfileStats {
  return { followersCount: 0, followingCount: 0, postsCount: 0, videosCount: 0, viewsCount: 0 };
}
