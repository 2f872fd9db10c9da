/**
 * The posts domain's shapes: stored documents and the views clients get.
 * Kept free of driver types, so other domains and the web client can import them.
 */
import type { ObjectId } from "mongodb";

export const POST_VISIBILITIES = ["public", "followers", "friends", "private"] as const;
export type PostVisibility = (typeof POST_VISIBILITIES)[number];

export const REACTION_TYPES = ["like", "love", "haha", "wow", "sad", "angry"] as const;
export type ReactionType = (typeof REACTION_TYPES)[number];
export type ReactionCounts = Record<ReactionType, number>;

export const MAX_POST_TEXT = 5000;
export const MAX_COMMENT_TEXT = 2000;
export const MAX_HASHTAGS = 30;
export const MAX_MENTIONS = 20;
export const MAX_IMAGES = 4;
/** Comments nest at most this deep; a reply to a level-5 comment attaches to its level-5 ancestor. */
export const MAX_COMMENT_DEPTH = 5;

/** An attached upload (the author's, purpose `post`, ready when attached) and the facts shown with it. */
export interface PostMedia {
  uploadId: string;
  kind: "image" | "video";
  mimeType: string;
  size: number;
  width?: number;
  height?: number;
  durationSeconds?: number;
}

/**
 * An attachment as a viewer gets it: stable public URLs on a public post of a
 * public account, otherwise short-lived signed links (`expiresAt`).
 */
export interface PostMediaView extends PostMedia {
  url: string;
  thumbnailUrl?: string;
  displayUrl?: string;
  expiresAt?: string;
}

export interface PollOption {
  id: string;
  text: string;
}

export interface Poll {
  options: PollOption[];
  /** Votes per option id of the current version, moved by $inc only for votes that were stored. */
  counts: Record<string, number>;
  multiple: boolean;
  closesAt: Date;
  /** Voters of the current options (a multiple-choice voter counts once). */
  voters: number;
  /** Bumped when the options are edited: votes of an older version no longer count. */
  version: number;
}

export interface PostLocation {
  name: string;
  /** GeoJSON point: [longitude, latitude]. */
  point: { type: "Point"; coordinates: [number, number] };
}

export interface PostStats {
  reactions: ReactionCounts;
  reactionCount: number;
  comments: number;
  shares: number;
  views: number;
  /** Weighted engagement (see engagement.ts); moved by $inc with the counters, so exact. */
  engagement: number;
  /** Engagement with time decay built in (see engagement.ts); what trending posts sort by. */
  engagementScore: number;
  /** Bumped with every counter change, so the score written last is the one of the newest counters. */
  version: number;
}

/** A post as stored in `posts`. */
export interface PostDoc {
  _id: ObjectId;
  userId: string;
  /** Idempotency key of the author's request: a retried create returns the same post. */
  clientId?: string;
  /** What the author wrote and attached (the seed's `content`). */
  content: { text: string; media: PostMedia[] };
  hashtags: string[];
  /** User ids mentioned in the text (resolved from @usernames at write time). */
  mentions: string[];
  poll: Poll | null;
  location: PostLocation | null;
  visibility: PostVisibility;
  /** The original post this one shares (never a share itself: a share of a share points at the original). */
  sharedPostId: ObjectId | null;
  sharedUserId: string | null;
  stats: PostStats;
  /** Edits so far; each edit stores a snapshot of the version it replaces in `postEdits`. */
  version: number;
  editedAt: Date | null;
  isDeleted: boolean;
  deletedAt: Date | null;
  deletedReason: "author" | "moderation" | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One snapshot per edit, of the version the edit replaced. */
export interface PostEditDoc {
  _id: ObjectId;
  postId: ObjectId;
  userId: string;
  version: number;
  text: string;
  hashtags: string[];
  mentions: string[];
  poll: { options: string[]; multiple: boolean; closesAt: Date } | null;
  location: PostLocation | null;
  /** Absent in snapshots written before posts carried media. */
  media?: PostMedia[];
  /** When the snapshotted version was written. */
  createdAt: Date;
  /** When it was replaced. */
  replacedAt: Date;
}

export interface AuthorCard {
  userId: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
  isVerified: boolean;
}

export interface PollView {
  options: Array<{ id: string; text: string; votes: number }>;
  multiple: boolean;
  closesAt: string;
  closed: boolean;
  voters: number;
  /** Options the viewer chose in the current version, when signed in. */
  myVotes?: string[];
}

/** A post as a viewer gets it. A share carries the original only when the viewer may see it. */
export interface PostView {
  id: string;
  author: AuthorCard;
  text: string;
  hashtags: string[];
  mentions: string[];
  media: PostMediaView[];
  poll: PollView | null;
  location: { name: string; longitude: number; latitude: number } | null;
  visibility: PostVisibility;
  shared: PostView | null;
  /** True when this post shares one the viewer may not (or can no longer) see. */
  sharedUnavailable: boolean;
  stats: { reactions: ReactionCounts; reactionCount: number; comments: number; shares: number; views: number; engagementScore: number };
  myReaction?: ReactionType | null;
  version: number;
  editedAt: string | null;
  createdAt: string;
}

export interface PostEditView {
  version: number;
  text: string;
  hashtags: string[];
  poll: { options: string[]; multiple: boolean; closesAt: string } | null;
  location: { name: string; longitude: number; latitude: number } | null;
  media: PostMediaView[];
  createdAt: string;
  replacedAt: string;
}

export const emptyReactionCounts = (): ReactionCounts => ({ like: 0, love: 0, haha: 0, wow: 0, sad: 0, angry: 0 });
