import type { RealtimePublisher } from "../realtime/publisher.js";
import type { CallClientToServerEvents, CallServerToClientEvents } from "../calls/call.events.js";
import type { ChatClientToServerEvents, ChatServerToClientEvents } from "../chat/chat.events.js";
import type { MediaServerToClientEvents } from "../media/media.events.js";
import type { FeedServerToClientEvents } from "../feed/feed.events.js";
import type { NotificationServerToClientEvents } from "../notifications/notification.events.js";
import type { PresenceClientToServerEvents, PresenceServerToClientEvents } from "../presence/presence.events.js";
import type { CoreClientToServerEvents, CoreServerToClientEvents } from "../realtime/events.js";
import type { VideoServerToClientEvents } from "../videos/video.events.js";

export type { Ack, AckResponse, InterServerEvents, SessionRevokedEvent, SocketData } from "../realtime/events.js";

/**
 * The gateway's typed event maps, composed from each domain's declarations
 * (`shared/<domain>/<domain>.events.ts`); adding a domain is one more
 * `extends` in each. Used by the server, the tests and the web client.
 */
export interface ServerToClientEvents
  extends CoreServerToClientEvents,
    ChatServerToClientEvents,
    PresenceServerToClientEvents,
    NotificationServerToClientEvents,
    VideoServerToClientEvents,
    MediaServerToClientEvents,
    FeedServerToClientEvents,
    CallServerToClientEvents {}

export interface ClientToServerEvents extends CoreClientToServerEvents, ChatClientToServerEvents, PresenceClientToServerEvents, CallClientToServerEvents {}

/** The publisher every process pushes through, typed by the composed map. */
export type Realtime = RealtimePublisher<ServerToClientEvents>;
