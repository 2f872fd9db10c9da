import type { ObjectId } from "mongodb";
import { engagementScore } from "./engagement.js";
import type { PostRepository } from "./post.repository.js";
import type { PostDoc } from "./post.types.js";
import type { OutboxEntry } from "./posts.deps.js";

/**
 * Moves a post's counters by exactly what changed, then writes the engagement
 * score of the counters as they now stand. The score write is conditional on
 * the counters' version, so of racing writers the newest counters win.
 */
export async function movePostStats(posts: PostRepository, postId: ObjectId, inc: Record<string, number>, outbox: readonly OutboxEntry[] = []): Promise<PostDoc | null> {
  const after = await posts.incrementStats(postId, inc, outbox);
  if (after) await posts.setScore(after._id, after.stats.version, engagementScore(after.stats.engagement, after.createdAt));
  return after;
}
