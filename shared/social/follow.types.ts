import type { AnyOutboxEntry } from "../events/domain-events.js";

/** A follow is pending until a private account accepts it; only accepted follows count. */
export type FollowStatus = "pending" | "accepted";

/** One edge of the follow graph, as stored in `follows`. */
export interface Follow {
  followerId: string;
  followeeId: string;
  status: FollowStatus;
  createdAt: Date;
  acceptedAt: Date | null;
  /** Events announced by the last write, until they are enqueued. */
  outbox?: AnyOutboxEntry[];
}

/** A stored follow with its id (used as the pagination key). */
export interface FollowRecord extends Follow {
  id: string;
}

/** One stored block: `blockerId` blocked `blockedId`. */
export interface BlockRecord {
  id: string;
  blockerId: string;
  blockedId: string;
  createdAt: Date;
}
