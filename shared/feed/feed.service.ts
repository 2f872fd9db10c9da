import type { AccessControl } from "../access/access-control.js";
import type { Logger } from "../logging/logger.js";
import { PostAudience } from "../posts/post-audience.js";
import { decodeTimeCursor, encodeTimeCursor, type TimeCursor } from "../posts/post-cursor.js";
import type { PostViews } from "../posts/post-view.js";
import { toObjectId, type PostRepository } from "../posts/post.repository.js";
import type { PostDoc, PostView, PostVisibility } from "../posts/post.types.js";
import type { ProfileRepository } from "../profiles/profile.repository.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { FollowRepository } from "../social/follow.repository.js";
import type { Page } from "../social/page-cursor.js";
import type { FanOutBatch, FeedJobs, FeedOptions, OnlineUsers } from "./feed.types.js";
import type { TimelineEntry, TimelineRepository } from "./timeline.repository.js";

const SHARED_KINDS: PostVisibility[] = ["public", "followers", "friends"];
const ALL_KINDS: PostVisibility[] = ["public", "followers", "friends", "private"];
const FOLLOW_PAGE = 1000;
const REBUILD_CHUNK = 200;
/** Candidates a feed page resolves beyond the ones it needs, for entries filtered out at read. */
const RESOLVE_SLACK = 4;

const entryOf = (doc: PostDoc): TimelineEntry => ({ postId: doc._id.toHexString(), authorId: doc.userId, at: doc.createdAt.getTime() });
const memberOf = (e: TimelineEntry): string => `${e.postId}:${e.authorId}`;
/** Newest first; equal times by member, descending (the order ZREVRANGEBYSCORE gives). */
const byTimeDesc = (a: TimelineEntry, b: TimelineEntry): number => b.at - a.at || (memberOf(b) > memberOf(a) ? 1 : memberOf(b) < memberOf(a) ? -1 : 0);

/**
 * The home feed. Fan-out on write, in worker jobs of `batchSize` followers each
 * (never one job per follower, never in the request path); authors with many
 * followers are merged at read time instead. Timelines are filtered at insert
 * (blocks, friends-only) and again at read (every post through the same view
 * rules as any read); a missing or expired timeline is rebuilt from the followed
 * accounts' recent posts before the page is served.
 */
export class FeedService {
  constructor(
    private readonly timelines: TimelineRepository,
    private readonly posts: PostRepository,
    private readonly follows: FollowRepository,
    private readonly profiles: ProfileRepository,
    private readonly access: AccessControl,
    private readonly views: PostViews,
    private readonly jobs: FeedJobs,
    private readonly online: OnlineUsers,
    private readonly realtime: Pick<Realtime, "toUsers">,
    private readonly options: FeedOptions,
    private readonly logger: Logger,
  ) {}

  /**
   * `post.created`: puts the post in its author's timeline and plans the fan-out
   * as batch jobs with deterministic ids, enqueued page by page as the followers are
   * read (so the first batches run while later pages are still being read). Safe to
   * run twice: the same follower order gives the same job ids, and a re-run batch
   * re-adds the same members (ZADD).
   */
  async planFanOut(event: { postId: string; authorId: string }): Promise<{ batches: number } | { skipped: string }> {
    const id = toObjectId(event.postId);
    const post = id && (await this.posts.findById(id));
    if (!post || post.isDeleted) return { skipped: "post gone" };
    const entry = entryOf(post);
    await this.timelines.insertMany([post.userId], entry);
    if (post.visibility === "private") return { batches: 0 };
    const author = await this.profiles.findByUserId(post.userId);
    const big = (author?.stats.followersCount ?? 0) >= this.options.bigAuthorFollowers;
    await this.timelines.setBigAuthor(post.userId, big);
    if (big) return { batches: 0 };
    const { batchSize } = this.options;
    const pageSize = Math.max(FOLLOW_PAGE, batchSize);
    let planned = 0;
    let current: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.follows.acceptedIdsPage(post.userId, "followers", after, pageSize);
      current.push(...page.ids);
      const ready: FanOutBatch[] = [];
      while (current.length >= batchSize || (page.last === null && current.length > 0)) {
        ready.push({ postId: event.postId, authorId: post.userId, at: entry.at, batch: planned + ready.length, followerIds: current.slice(0, batchSize) });
        current = current.slice(batchSize);
      }
      if (ready.length > 0) await this.jobs.enqueueBatches(ready);
      planned += ready.length;
      if (page.last === null) break;
      after = page.last;
    }
    return { batches: planned };
  }

  /** One fan-out job: filters the batch (blocks, friends-only) and inserts into each built timeline. */
  async fanOutBatch(batch: FanOutBatch): Promise<{ inserted: number } | { skipped: string }> {
    const id = toObjectId(batch.postId);
    const post = id && (await this.posts.findById(id));
    if (!post || post.isDeleted) return { skipped: "post gone" };
    const blocked = await this.access.blockedAmong(post.userId, batch.followerIds);
    let targets = batch.followerIds.filter((f) => !blocked.has(f) && f !== post.userId);
    if (post.visibility === "friends") {
      const followedBack = await this.follows.statusesFrom(post.userId, targets);
      targets = targets.filter((f) => followedBack.get(f) === "accepted");
    }
    const inserted = await this.timelines.insertMany(targets, entryOf(post));
    try {
      const online = await this.online.onlineAmong(targets);
      if (online.size > 0) this.realtime.toUsers([...online], "feed:new", { at: post.createdAt.toISOString() });
    } catch (error) {
      this.logger.warn({ err: error, postId: batch.postId }, "feed:new hint not sent");
    }
    return { inserted };
  }

  /** A page of the viewer's home feed, newest first. */
  async home(viewerId: string, page: { cursor?: string | undefined; limit: number }): Promise<Page<PostView>> {
    const cursor = page.cursor ? decodeTimeCursor(page.cursor) : undefined;
    const want = page.limit * 2;
    const big = this.bigAuthorEntries(viewerId, cursor, want);
    let stored = await this.timelines.page(viewerId, cursor?.at, want + 10);
    if (stored === null) {
      await this.rebuild(viewerId);
      stored = (await this.timelines.page(viewerId, cursor?.at, want + 10)) ?? [];
    }
    const bigEntries = await big;
    const seen = new Set<string>();
    const candidates = [...stored, ...bigEntries]
      .sort(byTimeDesc)
      .filter((e) => !cursor || e.at < cursor.at || (e.at === cursor.at && memberOf(e) < cursor.id))
      .filter((e) => (seen.has(e.postId) ? false : (seen.add(e.postId), true)))
      .slice(0, want);
    // Resolve only as many candidates as the page needs (plus a little slack for filtered ones),
    // reading more only when too many were filtered out: the page is the reads' size, not twice it.
    const items: PostView[] = [];
    const stale: TimelineEntry[] = [];
    const fromTimeline = new Set(stored);
    let resolved = 0;
    while (items.length <= page.limit && resolved < candidates.length) {
      const chunk = candidates.slice(resolved, resolved + page.limit + 1 - items.length + RESOLVE_SLACK);
      resolved += chunk.length;
      const docs = new Map((await this.posts.findByIds(chunk.flatMap((e) => toObjectId(e.postId) ?? []))).map((d) => [d._id.toHexString(), d]));
      const views = await this.views.build(viewerId, chunk.flatMap((e) => docs.get(e.postId) ?? []));
      const shownIds = new Set(views.map((v) => v.id));
      items.push(...views);
      // Read-time filter: deleted posts, and posts the viewer may no longer see, leave the stored timeline.
      stale.push(...chunk.filter((e) => fromTimeline.has(e) && !shownIds.has(e.postId)));
    }
    if (stale.length > 0) await this.timelines.remove(viewerId, stale);
    const shown = items.slice(0, page.limit);
    const lastShown = shown[shown.length - 1];
    const lastEntry = lastShown ? candidates.find((e) => e.postId === lastShown.id) : candidates[resolved - 1];
    const more = items.length > page.limit || candidates.length === want;
    return { items: shown, nextCursor: more && lastEntry ? encodeTimeCursor(lastEntry.at, memberOf(lastEntry)) : null };
  }

  /** Rebuilds a user's timeline from the followed accounts' recent posts (and their own). */
  async rebuild(userId: string): Promise<number> {
    const followees: string[] = [];
    let after: string | undefined;
    while (followees.length < this.options.rebuildMaxFollowing) {
      const page = await this.follows.acceptedIdsPage(userId, "following", after, FOLLOW_PAGE);
      followees.push(...page.ids);
      if (page.last === null) break;
      after = page.last;
    }
    const limit = this.options.rebuildPosts;
    const found: PostDoc[] = await this.posts.byAuthors([userId], ALL_KINDS, undefined, limit);
    for (let i = 0; i < followees.length && i < this.options.rebuildMaxFollowing; i += REBUILD_CHUNK) {
      found.push(...(await this.posts.byAuthors(followees.slice(i, i + REBUILD_CHUNK), SHARED_KINDS, undefined, limit)));
    }
    const relations = await this.views.relations(userId, [...new Set(found.map((d) => d.userId))]);
    const entries = found
      .filter((d) => PostAudience.allows(userId, d.userId, d.visibility, relations.get(d.userId)))
      .map(entryOf)
      .sort(byTimeDesc)
      .slice(0, limit);
    await this.timelines.replace(userId, entries);
    return entries.length;
  }

  /** A follow was accepted: the followee's recent posts the follower may see join their timeline. */
  async followed(followerId: string, followeeId: string): Promise<void> {
    const relation = (await this.views.relations(followerId, [followeeId])).get(followeeId);
    const kinds = PostAudience.visibleKinds(followerId, followeeId, relation);
    const docs = await this.posts.byAuthors([followeeId], kinds, undefined, this.options.mergeOnFollow);
    await this.timelines.merge(followerId, docs.map(entryOf));
  }

  /** An accepted follow ended (unfollow, block, account removal): the followee's posts leave the timeline. */
  async unfollowed(followerId: string, followeeId: string): Promise<void> {
    await this.timelines.purgeAuthor(followerId, followeeId);
  }

  /** Entries of the big accounts the viewer follows, read from their posts (they are not fanned out). */
  private async bigAuthorEntries(viewerId: string, cursor: TimeCursor | undefined, limit: number): Promise<TimelineEntry[]> {
    const big = (await this.timelines.bigAuthors()).filter((id) => id !== viewerId);
    if (big.length === 0) return [];
    const statuses = await this.follows.statusesFrom(viewerId, big);
    const followed = big.filter((id) => statuses.get(id) === "accepted");
    if (followed.length === 0) return [];
    const docs = await this.posts.byAuthors(followed, SHARED_KINDS, cursor ? { at: cursor.at, id: "ffffffffffffffffffffffff" } : undefined, limit);
    return docs.map(entryOf);
  }
}
