import type { PostVisibility, ReactionType } from "./post.types.js";

/**
 * What the posts domain announces. Durable subscribers: the feed fan-out and the
 * hashtag counters (`post.created`, `post.deleted`); notifications consume the rest.
 * `post.mentioned` names only mentioned users who may see the post.
 */
export interface PostDomainEvents {
  "post.created": { postId: string; authorId: string; visibility: PostVisibility; hashtags: string[]; createdAt: string; sharedPostId: string | null };
  "post.mentioned": { postId: string; authorId: string; mentionedUserIds: string[] };
  "post.reacted": { postId: string; postAuthorId: string; userId: string; type: ReactionType };
  "post.commented": { postId: string; postAuthorId: string; commentId: string; userId: string };
  "comment.replied": { postId: string; commentId: string; parentId: string; parentAuthorId: string; userId: string };
  "comment.reacted": { postId: string; commentId: string; commentAuthorId: string; userId: string; type: ReactionType };
  "post.shared": { postId: string; sharedPostId: string; sharedPostAuthorId: string; userId: string };
  "post.deleted": { postId: string; authorId: string; visibility: PostVisibility; hashtags: string[]; createdAt: string; reason: "author" | "moderation" };
  /** Hashtags of a public post changed by an edit (trend counters follow). */
  "post.hashtags-changed": { postId: string; authorId: string; visibility: PostVisibility; createdAt: string; added: string[]; removed: string[] };
}
