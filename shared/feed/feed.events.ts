import type { FeedNewEvent } from "./feed.types.js";

/** Socket events of the feed domain. */
export interface FeedServerToClientEvents {
  /** Something new reached the user's home timeline: a hint to fetch the feed, not the post. */
  "feed:new": (event: FeedNewEvent) => void;
}
