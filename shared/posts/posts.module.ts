import type { Redis } from "ioredis";
import type { Db } from "mongodb";
import type { AccessControl } from "../access/access-control.js";
import type { DomainEventBus } from "../events/event-bus.js";
import type { OutboxCollection } from "../events/outbox-sweeper.js";
import { FeedService } from "../feed/feed.service.js";
import type { FeedOptions, OnlineUsers } from "../feed/feed.types.js";
import { TimelineRepository } from "../feed/timeline.repository.js";
import { HashtagRepository } from "../hashtags/hashtag.repository.js";
import { TrendCounterRepository } from "../hashtags/trend-counter.repository.js";
import { TrendService, type TrendOptions } from "../hashtags/trend.service.js";
import type { Logger } from "../logging/logger.js";
import type { MaintenanceTask } from "../maintenance/maintenance.service.js";
import type { ProfileRepository } from "../profiles/profile.repository.js";
import type { JobQueue } from "../queues/job-queue.js";
import type { JobHandlers, ScheduledJob } from "../queues/jobs.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { FollowRepository } from "../social/follow.repository.js";
import { CommentRepository } from "./comment.repository.js";
import { CommentService } from "./comment.service.js";
import { PollVoteRepository } from "./poll-vote.repository.js";
import { PostAudience } from "./post-audience.js";
import { POSTS_OUTBOX } from "./post.collections.js";
import { PostQueryService } from "./post-query.service.js";
import { PostViews } from "./post-view.js";
import { PostRepository } from "./post.repository.js";
import { PostService } from "./post.service.js";
import type { MediaAttachments, PostsDeps } from "./posts.deps.js";
import { ReactionRepository } from "./reaction.repository.js";
import { ReactionService } from "./reaction.service.js";

/** The posts domain's services, as transports and other domains reach them (`services.posts`). */
export interface PostServices {
  posts: PostService;
  comments: CommentService;
  reactions: ReactionService;
  queries: PostQueryService;
  feed: FeedService;
  trends: TrendService;
}

export interface PostsModuleDeps {
  db: Db;
  redis: Redis;
  access: AccessControl;
  profiles: ProfileRepository;
  followRepository: FollowRepository;
  events: DomainEventBus;
  jobs: Pick<JobQueue, "addBulk">;
  online: OnlineUsers;
  realtime: Pick<Realtime, "toUsers">;
  media?: MediaAttachments;
  feed: FeedOptions & { timelineMax: number; timelineTtlSeconds: number };
  trends: TrendOptions & { refreshEveryMs: number };
  logger: Logger;
}

/** How long a tag's day counters live (today and yesterday are read, plus a margin). */
const TREND_COUNTER_TTL_SECONDS = 3 * 86_400;

/**
 * Posts, comments, reactions, polls, shares, the home feed and trending
 * hashtags. Durable subscribers: the feed fan-out and the hashtag counters
 * (`post.created`, `post.deleted`, `post.hashtags-changed`), and the feed's
 * merge and purge on the social graph's follow, unfollow and block events.
 */
export function createPostsModule(deps: PostsModuleDeps) {
  const logger = deps.logger.child({ domain: "posts" });
  const postRepository = new PostRepository(deps.db);
  const postsDeps: PostsDeps = {
    posts: postRepository,
    comments: new CommentRepository(deps.db),
    reactions: new ReactionRepository(deps.db),
    votes: new PollVoteRepository(deps.db),
    audience: new PostAudience(deps.access, deps.followRepository, deps.profiles),
    access: deps.access,
    profiles: deps.profiles,
    events: deps.events,
    media: deps.media,
    logger,
  };
  const posts = new PostService(postsDeps);
  const comments = new CommentService(postsDeps, posts);
  const feed = new FeedService(
    new TimelineRepository(deps.redis, { maxLength: deps.feed.timelineMax, ttlSeconds: deps.feed.timelineTtlSeconds }),
    postRepository,
    deps.followRepository,
    deps.profiles,
    deps.access,
    new PostViews(postsDeps),
    { enqueueBatches: (batches) => deps.jobs.addBulk("feed.fanout-batch", batches) },
    deps.online,
    deps.realtime,
    deps.feed,
    logger.child({ part: "feed" }),
  );
  const trends = new TrendService(new TrendCounterRepository(deps.redis, TREND_COUNTER_TTL_SECONDS), new HashtagRepository(deps.db), postRepository, deps.profiles, deps.trends, logger);

  const { events } = deps;
  events.durable("post.created", "feed.fanout", async (event) => void (await feed.planFanOut(event)));
  // Cheap (a few Redis commands), so tried inline: the author's answer already counts; the job is the safety net.
  events.durable("post.created", "hashtags.count", async (event) => void (await trends.postCreated(event)), { inline: true });
  events.durable("post.deleted", "hashtags.uncount", async (event) => void (await trends.postDeleted(event)), { inline: true });
  // A deleted post's uploads (current and earlier versions) are released for purging after the retention period.
  if (deps.media) events.durable("post.deleted", "posts.release-media", (event) => posts.releaseMedia(event.postId), { inline: true });
  events.durable("post.hashtags-changed", "hashtags.recount-edit", (event) => trends.hashtagsChanged(event), { inline: true });
  // The graph's events: each re-checks the edge, since deliveries are unordered and may repeat.
  const stillFollowing = async (followerId: string, followeeId: string): Promise<boolean> => (await deps.followRepository.find(followerId, followeeId))?.status === "accepted";
  const merge = async ({ followerId, followeeId }: { followerId: string; followeeId: string }): Promise<void> => {
    if (await stillFollowing(followerId, followeeId)) await feed.followed(followerId, followeeId);
  };
  events.durable("social.followed", "feed.merge-followed", merge, { inline: true });
  events.durable("social.follow-accepted", "feed.merge-accepted", merge, { inline: true });
  events.durable("social.unfollowed", "feed.purge-unfollowed", async ({ followerId, followeeId }) => {
    if (!(await stillFollowing(followerId, followeeId))) await feed.unfollowed(followerId, followeeId);
  }, { inline: true });
  events.durable("social.blocked", "feed.purge-blocked", async ({ blockerId, blockedId }) => {
    await feed.unfollowed(blockerId, blockedId);
    await feed.unfollowed(blockedId, blockerId);
  }, { inline: true });

  const jobHandlers: Pick<JobHandlers, "feed.fanout-batch" | "hashtags.trends-refresh"> = {
    "feed.fanout-batch": (batch) => feed.fanOutBatch(batch),
    "hashtags.trends-refresh": () => trends.refresh(),
  };
  const scheduledJobs: ScheduledJob[] = [{ id: "hashtags-trends-refresh", job: "hashtags.trends-refresh", data: {}, repeat: { every: deps.trends.refreshEveryMs } }];
  const maintenanceTasks: MaintenanceTask[] = [{ name: "hashtags.recalculate-trends", period: "weekly", run: () => trends.markForRecalculation() }];
  const outboxCollections: OutboxCollection[] = POSTS_OUTBOX;
  const services: PostServices = { posts, comments, reactions: new ReactionService(postsDeps, posts, comments), queries: new PostQueryService(postsDeps), feed, trends };
  return { services, jobHandlers, scheduledJobs, maintenanceTasks, outboxCollections };
}
