/** One fan-out job: a post and up to `FEED_FANOUT_BATCH` of its author's followers. */
export interface FanOutBatch {
  postId: string;
  authorId: string;
  /** Post time (ms): the timeline score. */
  at: number;
  /** Position of this batch among the post's batches (part of the deterministic job id). */
  batch: number;
  followerIds: string[];
}

/** Where fan-out batches go: worker jobs with deterministic ids (`fanout:<postId>:<batch>`). */
export interface FeedJobs {
  enqueueBatches(batches: readonly FanOutBatch[]): Promise<void>;
}

/** Which users are online (presence). */
export interface OnlineUsers {
  onlineAmong(userIds: readonly string[]): Promise<Set<string>>;
}

export interface FeedOptions {
  /** Followers per fan-out job. */
  batchSize: number;
  /** Authors with at least this many followers are merged at read time instead of fanned out. */
  bigAuthorFollowers: number;
  /** Posts a missing timeline is rebuilt with. */
  rebuildPosts: number;
  /** Followed accounts a rebuild reads (the most recently followed first). */
  rebuildMaxFollowing: number;
  /** Recent posts of a newly followed account merged into the follower's timeline. */
  mergeOnFollow: number;
}

/** The socket hint online followers get: there is something new; fetch the feed. */
export interface FeedNewEvent {
  at: string;
}
