import type { ObjectId } from "bson";
import type { Actor } from "../auth/actor.js";
import { decodeCursor, encodeCursor, type Page } from "../social/page-cursor.js";
import type { ProfileSummary } from "../profiles/profile.types.js";
import type { CommentService } from "./comment.service.js";
import { ENGAGEMENT_WEIGHTS } from "./engagement.js";
import { movePostStats } from "./post-stats.js";
import { toObjectId } from "./post.repository.js";
import type { PostService } from "./post.service.js";
import { commentRef, postRef, type OutboxEntry, type PostsDeps } from "./posts.deps.js";
import type { PostDoc, ReactionCounts, ReactionType } from "./post.types.js";

export interface ReactionResult {
  myReaction: ReactionType | null;
}

export interface ReactorItem extends ProfileSummary {
  type: ReactionType;
  reactedAt: string;
}

/**
 * Six reaction types on posts and comments, one per user per target. Each write
 * says what changed (new, replaced, removed, nothing) and the target's counters
 * move by exactly that, so counts by type stay exact under retries and races.
 */
export class ReactionService {
  constructor(
    private readonly deps: PostsDeps,
    private readonly posts: PostService,
    private readonly comments: CommentService,
  ) {}

  async react(actor: Actor, postId: string, commentId: string | undefined, type: ReactionType): Promise<ReactionResult> {
    const post = await this.posts.visible(actor.userId, postId);
    const comment = commentId ? await this.comments.liveComment(actor.userId, post, commentId) : null;
    const target = { id: comment?._id ?? post._id, type: comment ? ("comment" as const) : ("post" as const), postId: post._id };
    const before = await this.deps.reactions.set(target, actor.userId, type);
    if (before === type) return { myReaction: type };
    const inc: Record<string, number> = { [`stats.reactions.${type}`]: 1 };
    if (before) inc[`stats.reactions.${before}`] = -1;
    else inc["stats.reactionCount"] = 1;
    const entries: OutboxEntry[] =
      before !== null
        ? []
        : comment
          ? [this.deps.events.record("comment.reacted", { postId, commentId: comment._id.toHexString(), commentAuthorId: comment.userId, userId: actor.userId, type })]
          : [this.deps.events.record("post.reacted", { postId, postAuthorId: post.userId, userId: actor.userId, type })];
    await this.move(post, comment?._id, inc, before === null ? 1 : 0, entries);
    return { myReaction: type };
  }

  async unreact(actor: Actor, postId: string, commentId: string | undefined): Promise<ReactionResult> {
    const post = await this.posts.visible(actor.userId, postId);
    const comment = commentId ? await this.comments.liveComment(actor.userId, post, commentId) : null;
    const removed = await this.deps.reactions.remove(comment?._id ?? post._id, actor.userId);
    if (removed) await this.move(post, comment?._id, { [`stats.reactions.${removed}`]: -1, "stats.reactionCount": -1 }, -1, []);
    return { myReaction: null };
  }

  /** Who reacted, newest first (users blocked either way left out). */
  async reactors(viewer: Actor | undefined, postId: string, commentId: string | undefined, page: { cursor?: string | undefined; limit: number; type?: ReactionType | undefined }): Promise<Page<ReactorItem>> {
    const post = await this.posts.visible(viewer?.userId, postId);
    const targetId = commentId ? (await this.comments.liveComment(viewer?.userId, post, commentId))._id : post._id;
    const before = page.cursor ? toObjectId(decodeCursor(page.cursor)) ?? undefined : undefined;
    const docs = await this.deps.reactions.page(targetId, page.type, before, page.limit + 1);
    const pageDocs = docs.slice(0, page.limit);
    const users = pageDocs.map((d) => d.userId);
    const [blocked, cards] = await Promise.all([
      viewer ? this.deps.access.blockedAmong(viewer.userId, users) : Promise.resolve(new Set<string>()),
      this.deps.profiles.findSummaries(users),
    ]);
    const cardOf = new Map(cards.map((c) => [c.userId, c]));
    const items = pageDocs.flatMap((d) => {
      const card = cardOf.get(d.userId);
      return card && !blocked.has(d.userId) ? [{ ...card, type: d.type, reactedAt: d.updatedAt.toISOString() }] : [];
    });
    const last = pageDocs[pageDocs.length - 1];
    return { items, nextCursor: docs.length > page.limit && last ? encodeCursor(last._id.toHexString()) : null };
  }

  private async move(post: PostDoc, commentId: ObjectId | undefined, inc: Record<string, number>, countDelta: number, entries: OutboxEntry[]): Promise<void> {
    if (commentId) {
      await this.deps.comments.incrementStats(post._id, commentId, inc, entries);
      if (entries.length > 0) await this.deps.events.published(commentRef({ _id: commentId, postId: post._id }), entries);
      return;
    }
    await movePostStats(this.deps.posts, post._id, { ...inc, "stats.engagement": countDelta * ENGAGEMENT_WEIGHTS.reaction }, entries);
    if (entries.length > 0) await this.deps.events.published(postRef(post), entries);
  }
}

export type { ReactionCounts };
