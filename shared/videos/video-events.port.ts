import type { AnyOutboxEntry } from "../events/domain-events.js";
import type { DomainEventBus } from "../events/event-bus.js";

/** The part of the domain-event bus the videos domain uses. */
export type VideoEventSink = Pick<DomainEventBus, "record" | "published">;

/** An outbox entry written with a video change. */
export type OutboxEntry = AnyOutboxEntry;

/** Where a video's outbox entries live (the shard key is part of the filter). */
export const videoOutboxRef = (video: { _id: string; userId: string }) => ({ collection: "videos", filter: { _id: video._id, userId: video.userId } });
