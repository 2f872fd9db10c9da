import type { ObjectId } from "mongodb";
import type { AuthorCard, ReactionCounts, ReactionType } from "./post.types.js";

/** A comment as stored in `comments`. */
export interface CommentDoc {
  _id: ObjectId;
  postId: ObjectId;
  postAuthorId: string;
  userId: string;
  clientId?: string;
  /** The comment this one hangs under (null: on the post). */
  parentId: ObjectId | null;
  /** On level-5 comments: the level-5 comment whose flat reply list this one is in (itself for the first). */
  anchorId: ObjectId | null;
  /** The comment actually answered, when it differs from the parent (replies past level 5). */
  replyToId: ObjectId | null;
  replyToUserId: string | null;
  /** 1 on the post, at most 5. */
  depth: number;
  /**
   * Materialised path: the ancestors' ids and its own, hex, joined by "/". Sorting by it
   * gives the thread depth first, each level in creation order; a subtree is one range.
   */
  sortKey: string;
  text: string;
  mentions: string[];
  stats: { reactions: ReactionCounts; reactionCount: number; replies: number };
  isDeleted: boolean;
  deletedAt: Date | null;
  editedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A comment as a viewer gets it; a deleted one keeps its place as a placeholder. */
export interface CommentView {
  id: string;
  postId: string;
  parentId: string | null;
  replyToId: string | null;
  replyToUserId: string | null;
  depth: number;
  author: AuthorCard | null;
  text: string;
  isDeleted: boolean;
  stats: { reactions: ReactionCounts; reactionCount: number; replies: number };
  myReaction?: ReactionType | null;
  editedAt: string | null;
  createdAt: string;
}
