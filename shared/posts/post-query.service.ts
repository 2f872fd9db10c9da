import type { Actor } from "../auth/actor.js";
import type { Page } from "../social/page-cursor.js";
import { PostAudience } from "./post-audience.js";
import { decodeTimeCursor, encodeTimeCursor } from "./post-cursor.js";
import { normalizeHashtag } from "./post-text.js";
import { PostViews } from "./post-view.js";
import type { ListQuery } from "./post.schema.js";
import { postNotFound, type PostsDeps } from "./posts.deps.js";
import type { PostDoc, PostView } from "./post.types.js";

/** Candidates read per round when most of a page may be filtered out (other people's private posts). */
const OVERREAD = 3;
const MAX_ROUNDS = 4;

/**
 * The post timelines besides the home feed: an author's posts, posts by hashtag,
 * posts near a place, full-text search, trending posts. Each is one indexed query
 * (repeated a few rounds when privacy filtering thins a page), then filtered for
 * the viewer with the same rules as every other read.
 */
export class PostQueryService {
  private readonly views: PostViews;

  constructor(private readonly deps: PostsDeps) {
    this.views = new PostViews(deps);
  }

  /** An author's posts the viewer may see, newest first; the visibility filter is part of the indexed query. */
  async byUser(viewer: Actor | undefined, userId: string, page: ListQuery): Promise<Page<PostView>> {
    const relation = (await this.deps.audience.relations(viewer?.userId, [userId])).get(userId);
    if (viewer?.userId !== userId && (!relation || relation.hidden)) throw postNotFound();
    const kinds = PostAudience.visibleKinds(viewer?.userId, userId, relation);
    const cursor = page.cursor ? decodeTimeCursor(page.cursor) : undefined;
    const docs = await this.deps.posts.byAuthors([userId], kinds, cursor, page.limit + 1);
    return this.timePage(viewer, docs, page.limit);
  }

  /** Posts with a hashtag, newest first. */
  async byHashtag(viewer: Actor | undefined, rawTag: string, page: ListQuery): Promise<Page<PostView>> {
    const tag = normalizeHashtag(rawTag);
    let cursor = page.cursor ? decodeTimeCursor(page.cursor) : undefined;
    const items: PostView[] = [];
    for (let round = 0; round < MAX_ROUNDS && items.length < page.limit; round++) {
      const docs = await this.deps.posts.byHashtag(tag, cursor, page.limit * OVERREAD);
      items.push(...(await this.views.build(viewer?.userId, docs)));
      const last = docs[docs.length - 1];
      if (!last || docs.length < page.limit * OVERREAD) return this.finish(items, page.limit, null);
      cursor = { at: last.createdAt.getTime(), id: last._id.toHexString() };
    }
    return this.finish(items, page.limit, cursor ? encodeTimeCursor(cursor.at, cursor.id) : null);
  }

  /** Full-text search over text and hashtags, best first, filtered for the viewer. */
  async search(viewer: Actor | undefined, q: string, limit: number): Promise<PostView[]> {
    const docs = await this.deps.posts.search(q, limit * OVERREAD);
    return (await this.views.build(viewer?.userId, docs)).slice(0, limit);
  }

  /** Public posts by engagement with time decay (see engagement.ts), best first. */
  async trending(viewer: Actor | undefined, page: ListQuery): Promise<Page<PostView>> {
    const below = page.cursor ? decodeTimeCursor(page.cursor).at / 1e6 : undefined;
    const docs = await this.deps.posts.trending(page.limit * OVERREAD, below);
    const items = await this.views.build(viewer?.userId, docs);
    const shown = items.slice(0, page.limit);
    const lastShown = shown[shown.length - 1];
    const lastDoc = lastShown && docs.find((d) => d._id.toHexString() === lastShown.id);
    return { items: shown, nextCursor: docs.length === page.limit * OVERREAD && lastDoc ? encodeTimeCursor(Math.round(lastDoc.stats.engagementScore * 1e6), lastDoc._id.toHexString()) : null };
  }

  /** Posts within `maxDistanceMeters` of a point, nearest first (2dsphere `$near`). */
  async near(viewer: Actor | undefined, query: { longitude: number; latitude: number; maxDistanceMeters: number; limit: number }): Promise<PostView[]> {
    const docs = await this.deps.posts.near(query.longitude, query.latitude, query.maxDistanceMeters, query.limit * OVERREAD);
    return (await this.views.build(viewer?.userId, docs)).slice(0, query.limit);
  }

  private async timePage(viewer: Actor | undefined, docs: PostDoc[], limit: number): Promise<Page<PostView>> {
    const pageDocs = docs.slice(0, limit);
    const items = await this.views.build(viewer?.userId, pageDocs);
    const last = pageDocs[pageDocs.length - 1];
    return { items, nextCursor: docs.length > limit && last ? encodeTimeCursor(last.createdAt, last._id.toHexString()) : null };
  }

  private finish(items: PostView[], limit: number, fallback: string | null): Page<PostView> {
    const shown = items.slice(0, limit);
    const last = shown[shown.length - 1];
    if (items.length > limit && last) return { items: shown, nextCursor: encodeTimeCursor(new Date(last.createdAt), last.id) };
    return { items: shown, nextCursor: fallback };
  }
}
