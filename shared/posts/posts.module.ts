import type { AccessControl } from "../access/access-control.js";
import { FeedService } from "../feed/feed.service.js";
import type { FeedJobs, FeedOptions, OnlineUsers } from "../feed/feed.types.js";
import { TimelineRepository } from "../feed/timeline.repository.js";
import { HashtagRepository } from "../hashtags/hashtag.repository.js";
import { TrendCounterRepository } from "../hashtags/trend-counter.repository.js";
import { TrendService, type TrendOptions } from "../hashtags/trend.service.js";
import type { Logger } from "../logging/logger.js";
import type { MaintenanceTask } from "../maintenance/maintenance.service.js";
import type { ProfileRepository } from "../profiles/profile.repository.js";
import type { RealtimePublisher } from "../realtime/publisher.js";
import type { FollowRepository } from "../social/follow.repository.js";
import type { FollowService } from "../social/follow.service.js";
import type { Db } from "mongodb";
import type { Redis } from "ioredis";
import { CommentRepository } from "./comment.repository.js";
import { CommentService } from "./comment.service.js";
import { PollVoteRepository } from "./poll-vote.repository.js";
import { PostAudience } from "./post-audience.js";
import { PostQueryService } from "./post-query.service.js";
import { PostViews } from "./post-view.js";
import { PostRepository } from "./post.repository.js";
import { PostService } from "./post.service.js";
import type { MediaAttachments, PostEvents, PostsDeps } from "./posts.deps.js";
import type { PostDomainEvents } from "./posts.domain-events.js";
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

/** Durable subscription, as the event bus offers it: the handler may run more than once per event. */
export interface PostEventBus extends PostEvents {
  durable<N extends keyof PostDomainEvents>(name: N, subscriberId: string, handler: (payload: PostDomainEvents[N], ctx: { eventId: string }) => Promise<unknown>): void;
}

export interface PostsModuleDeps {
  db: Db;
  redis: Redis;
  access: AccessControl;
  profiles: ProfileRepository;
  followRepository: FollowRepository;
  follows: FollowService;
  events: PostEventBus;
  feedJobs: FeedJobs;
  online: OnlineUsers;
  realtime: Pick<RealtimePublisher, "toUsers">;
  media?: MediaAttachments;
  feed: FeedOptions & { timelineMax: number; timelineTtlSeconds: number };
  trends: TrendOptions;
  logger: Logger;
}

/**
 * Posts, comments, reactions, polls, shares, the home feed and trending
 * hashtags. The feed fan-out and the hashtag counters are durable subscribers
 * of `post.created`/`post.deleted`; follows merge into and purge from timelines.
 */
export function createPostsModule(deps: PostsModuleDeps): { services: PostServices; maintenanceTasks: MaintenanceTask[] } {
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
    deps.feedJobs,
    deps.online,
    deps.realtime,
    deps.feed,
    logger.child({ part: "feed" }),
  );
  const trends = new TrendService(new TrendCounterRepository(deps.redis, 3 * 86_400), new HashtagRepository(deps.db), postRepository, deps.profiles, deps.trends, logger);

  deps.events.durable("post.created", "feed-fanout", (event) => feed.planFanOut(event));
  deps.events.durable("post.created", "hashtag-trends", (event) => trends.postCreated(event));
  deps.events.durable("post.deleted", "hashtag-trends", (event) => trends.postDeleted(event));
  deps.events.durable("post.hashtags-changed", "hashtag-trends", (event) => trends.hashtagsChanged(event));

  const quietly = (what: string, run: () => Promise<unknown>): void => {
    run().catch((error: unknown) => logger.warn({ err: error }, `${what} failed`));
  };
  deps.follows.addListener({
    followed: (followerId, followeeId, status) => status === "accepted" && quietly("feed merge", () => feed.followed(followerId, followeeId)),
    requestAccepted: (followerId, followeeId) => quietly("feed merge", () => feed.followed(followerId, followeeId)),
    unfollowed: (followerId, followeeId) => quietly("feed purge", () => feed.unfollowed(followerId, followeeId)),
  });

  const recalcTask: MaintenanceTask = {
    name: "hashtags.recalculate-trends",
    period: "weekly",
    run: async (now) => trends.recalculate(now),
  };
  return {
    services: { posts, comments, reactions: new ReactionService(postsDeps, posts, comments), queries: new PostQueryService(postsDeps), feed, trends },
    maintenanceTasks: [recalcTask],
  };
}
