import { ObjectId } from "bson";
import { AppError } from "../errors/app-error.js";
import type { Actor } from "../auth/actor.js";
import { isAdmin } from "../profiles/profile.service.js";
import { decodeCursor, encodeCursor, type Page } from "../social/page-cursor.js";
import type { CommentDoc, CommentView } from "./comment.types.js";
import { ENGAGEMENT_WEIGHTS } from "./engagement.js";
import { movePostStats } from "./post-stats.js";
import { parseMentions } from "./post-text.js";
import { toObjectId } from "./post.repository.js";
import type { CreateCommentInput, ListQuery } from "./post.schema.js";
import type { PostService } from "./post.service.js";
import { commentNotFound, commentRef, type PostsDeps } from "./posts.deps.js";
import { emptyReactionCounts, MAX_COMMENT_DEPTH, type PostDoc } from "./post.types.js";

/**
 * Threaded comments, at most five levels: a reply to a level-5 comment attaches to
 * its level-5 ancestor (the replies past level 5 form that comment's flat list, each
 * remembering whom it answered). A thread page is one range of the materialised
 * path `sortKey`; deleted comments stay in place as placeholders.
 */
export class CommentService {
  constructor(
    private readonly deps: PostsDeps,
    private readonly posts: PostService,
  ) {}

  async create(actor: Actor, postId: string, input: CreateCommentInput): Promise<CommentView> {
    const post = await this.posts.visible(actor.userId, postId);
    const now = new Date();
    const _id = new ObjectId();
    let parent: CommentDoc | null = null;
    let answered: CommentDoc | null = null;
    if (input.parentId) {
      answered = await this.liveComment(actor.userId, post, input.parentId);
      parent = answered.depth < MAX_COMMENT_DEPTH ? answered : ((await this.deps.comments.findById(post._id, answered.anchorId ?? answered._id)) ?? answered);
    }
    const depth = parent ? Math.min(parent.depth + 1, MAX_COMMENT_DEPTH) : 1;
    const anchorId = depth < MAX_COMMENT_DEPTH ? null : parent && parent.depth === MAX_COMMENT_DEPTH ? parent._id : _id;
    const doc: CommentDoc = {
      _id,
      postId: post._id,
      postAuthorId: post.userId,
      userId: actor.userId,
      ...(input.clientId ? { clientId: input.clientId } : {}),
      parentId: parent?._id ?? null,
      anchorId,
      replyToId: answered && parent && !answered._id.equals(parent._id) ? answered._id : null,
      replyToUserId: answered?.userId ?? null,
      depth,
      sortKey: parent ? `${parent.sortKey}/${_id.toHexString()}` : _id.toHexString(),
      text: input.text,
      mentions: parseMentions(input.text),
      stats: { reactions: emptyReactionCounts(), reactionCount: 0, replies: 0 },
      isDeleted: false,
      deletedAt: null,
      editedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    const entries = [
      this.deps.events.record("post.commented", { postId, postAuthorId: post.userId, commentId: _id.toHexString(), userId: actor.userId }),
      ...(answered
        ? [this.deps.events.record("comment.replied", { postId, commentId: _id.toHexString(), parentId: answered._id.toHexString(), parentAuthorId: answered.userId, userId: actor.userId })]
        : []),
    ];
    const { comment, inserted } = await this.deps.comments.insert({ ...doc, outbox: entries } as CommentDoc);
    if (inserted) {
      await movePostStats(this.deps.posts, post._id, { "stats.comments": 1, "stats.engagement": ENGAGEMENT_WEIGHTS.comment });
      if (parent) await this.deps.comments.incrementStats(post._id, parent._id, { "stats.replies": 1 });
      await this.deps.events.published(commentRef(doc), entries);
    }
    return (await this.toViews(actor.userId, [comment]))[0] as CommentView;
  }

  /** A page of the whole thread in reading order (depth first). */
  async thread(viewer: Actor | undefined, postId: string, page: ListQuery): Promise<Page<CommentView>> {
    const post = await this.posts.visible(viewer?.userId, postId);
    const after = page.cursor ? await this.cursorKey(post, page.cursor) : undefined;
    const docs = await this.deps.comments.thread(post._id, after, page.limit + 1);
    return this.page(viewer?.userId, docs, page.limit);
  }

  /** Direct replies of a comment (or the top-level comments when `commentId` is null), in order. */
  async replies(viewer: Actor | undefined, postId: string, commentId: string | null, page: ListQuery): Promise<Page<CommentView>> {
    const post = await this.posts.visible(viewer?.userId, postId);
    const parent = commentId === null ? null : await this.anyComment(viewer?.userId, post, commentId);
    const after = page.cursor ? await this.cursorKey(post, page.cursor) : undefined;
    const docs = await this.deps.comments.children(post._id, parent?._id ?? null, after, page.limit + 1);
    return this.page(viewer?.userId, docs, page.limit);
  }

  async edit(actor: Actor, postId: string, commentId: string, text: string): Promise<CommentView> {
    const post = await this.posts.visible(actor.userId, postId);
    const comment = await this.liveComment(actor.userId, post, commentId);
    if (comment.userId !== actor.userId) throw commentNotFound();
    if (comment.text === text) throw new AppError("NO_CHANGES", "The edit changes nothing");
    const updated = await this.deps.comments.editText(post._id, comment._id, actor.userId, text, parseMentions(text), new Date());
    if (!updated) throw commentNotFound();
    return (await this.toViews(actor.userId, [updated]))[0] as CommentView;
  }

  /** Soft-deletes (the comment's author, the post's author or an admin); the thread keeps a placeholder. */
  async delete(actor: Actor, postId: string, commentId: string): Promise<void> {
    const id = toObjectId(postId);
    const post = id && (await this.deps.posts.findById(id));
    const cid = toObjectId(commentId);
    const comment = post && cid && (await this.deps.comments.findById(post._id, cid));
    if (!post || !comment) throw commentNotFound();
    if (comment.userId !== actor.userId && post.userId !== actor.userId && !isAdmin(actor)) throw commentNotFound();
    const before = await this.deps.comments.markDeleted(post._id, comment._id, new Date());
    if (!before) return;
    await movePostStats(this.deps.posts, post._id, { "stats.comments": -1, "stats.engagement": -ENGAGEMENT_WEIGHTS.comment });
    if (before.parentId) await this.deps.comments.incrementStats(post._id, before.parentId, { "stats.replies": -1 });
  }

  /** A live comment of a visible post whose author the viewer is not blocked from. */
  async liveComment(viewerId: string | undefined, post: PostDoc, commentId: string): Promise<CommentDoc> {
    const comment = await this.anyComment(viewerId, post, commentId);
    if (comment.isDeleted) throw commentNotFound();
    return comment;
  }

  private async anyComment(viewerId: string | undefined, post: PostDoc, commentId: string): Promise<CommentDoc> {
    const id = toObjectId(commentId);
    const comment = id && (await this.deps.comments.findById(post._id, id));
    if (!comment) throw commentNotFound();
    if (viewerId && (await this.deps.access.isBlockedEitherWay(viewerId, comment.userId))) throw commentNotFound();
    return comment;
  }

  private async cursorKey(post: PostDoc, cursor: string): Promise<string> {
    const id = toObjectId(decodeCursor(cursor));
    const at = id && (await this.deps.comments.findById(post._id, id));
    if (!at) throw new AppError("VALIDATION_FAILED", "Invalid cursor", [{ path: "cursor", message: "unknown" }]);
    return at.sortKey;
  }

  private async page(viewerId: string | undefined, docs: CommentDoc[], limit: number): Promise<Page<CommentView>> {
    const pageDocs = docs.slice(0, limit);
    const last = pageDocs[pageDocs.length - 1];
    return { items: await this.toViews(viewerId, pageDocs), nextCursor: docs.length > limit && last ? encodeCursor(last._id.toHexString()) : null };
  }

  /** Comments by users blocked either way are left out; deleted ones are placeholders without author or text. */
  async toViews(viewerId: string | undefined, docs: readonly CommentDoc[]): Promise<CommentView[]> {
    const authors = [...new Set(docs.map((d) => d.userId))];
    const [blocked, cards, mine] = await Promise.all([
      viewerId ? this.deps.access.blockedAmong(viewerId, authors) : Promise.resolve(new Set<string>()),
      this.deps.profiles.findSummaries(authors),
      viewerId ? this.deps.reactions.mine(viewerId, docs.map((d) => d._id)) : Promise.resolve(new Map()),
    ]);
    const cardOf = new Map(cards.map((c) => [c.userId, c]));
    return docs
      .filter((d) => !blocked.has(d.userId))
      .map((d) => ({
        id: d._id.toHexString(),
        postId: d.postId.toHexString(),
        parentId: d.parentId?.toHexString() ?? null,
        replyToId: d.replyToId?.toHexString() ?? null,
        replyToUserId: d.isDeleted ? null : d.replyToUserId,
        depth: d.depth,
        author: d.isDeleted ? null : (cardOf.get(d.userId) ?? null),
        text: d.isDeleted ? "" : d.text,
        isDeleted: d.isDeleted,
        stats: d.stats,
        ...(viewerId ? { myReaction: mine.get(d._id.toHexString()) ?? null } : {}),
        editedAt: d.editedAt?.toISOString() ?? null,
        createdAt: d.createdAt.toISOString(),
      }));
  }
}
