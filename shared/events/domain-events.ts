import type { AuthDomainEvents } from "../auth/auth.domain-events.js";
import type { CallDomainEvents } from "../calls/call.domain-events.js";
import type { ChatDomainEvents } from "../chat/chat.domain-events.js";
import type { MediaDomainEvents } from "../media/media.domain-events.js";
import type { PostDomainEvents } from "../posts/posts.domain-events.js";
import type { ProfileDomainEvents } from "../profiles/profile.domain-events.js";
import type { SocialDomainEvents } from "../social/social.domain-events.js";
import type { VideoDomainEvents } from "../videos/video.domain-events.js";

/**
 * Every domain event, by name: what happened and its payload. Each domain
 * declares its own in `<domain>.domain-events.ts`; adding a domain is one more
 * `extends` here. Payloads are plain JSON (they travel through BullMQ).
 */
export interface DomainEvents extends AuthDomainEvents, ChatDomainEvents, SocialDomainEvents, ProfileDomainEvents, VideoDomainEvents, PostDomainEvents, CallDomainEvents, MediaDomainEvents {}

export type EventName = keyof DomainEvents & string;

/** One event waiting to be dispatched, stored with the write it announces. */
export interface OutboxEntry<N extends EventName = EventName> {
  /** Stable across redeliveries: durable subscribers key their effects on it. */
  id: string;
  name: N;
  payload: DomainEvents[N];
  at: Date;
}

/** Any outbox entry, with its payload typed by its name. */
export type AnyOutboxEntry = { [N in EventName]: OutboxEntry<N> }[EventName];
