import { z } from "zod";
import { defineJob, KEEP_FINISHED } from "../queues/job-definition.js";

/**
 * One fan-out job: a post and up to FEED_FANOUT_BATCH followers. The id is the
 * post and the batch's position, so a replanned fan-out (a redelivered
 * `post.created`) adds no second job, and a retried job re-inserts with ZADD.
 */
export const feedFanOutBatchJob = defineJob({
  name: "feed.fanout-batch",
  queue: "feed",
  schema: z.strictObject({
    postId: z.string().regex(/^[0-9a-f]{24}$/),
    authorId: z.string().min(1).max(64),
    at: z.number().int().nonnegative(),
    batch: z.number().int().min(0).max(1_000_000),
    followerIds: z.array(z.string().min(1).max(64)).min(1).max(10_000),
  }),
  attempts: 5,
  backoff: { type: "exponential", delay: 1_000 },
  timeoutMs: 60_000,
  jobId: ({ postId, batch }) => `fanout-${postId}-${batch}`,
  keep: { removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600, count: 10_000 } },
});

/** Recomputes trending hashtags (scores, peaks, ranking) from the day counters. */
export const trendsRefreshJob = defineJob({
  name: "hashtags.trends-refresh",
  queue: "trending",
  schema: z.strictObject({}),
  attempts: 1,
  timeoutMs: 120_000,
  keep: KEEP_FINISHED,
});
