import type { GatewayContext } from "../server.js";
import { defineCallEvents } from "./call.handler.js";
import { defineChatEvents } from "./chat.handler.js";
import { definePresenceEvents } from "./presence.handler.js";
import { defineSessionEvents } from "./session.handler.js";
import { SocketEvents, type GatewaySocket } from "./socket-event.js";
import { defineSystemEvents } from "./system.handler.js";
import { defineTypingEvents } from "./typing.handler.js";

/**
 * Every area's client events, defined once for the server (each area gets only
 * the services it calls); `attach` serves one new socket with shared listeners.
 */
export function defineSocketEvents(ctx: GatewayContext): { attach(socket: GatewaySocket): void } {
  const { services, io, eventOptions } = ctx;
  const events = new SocketEvents(eventOptions);
  defineSystemEvents(events);
  defineSessionEvents(events, services.accessGuard);
  definePresenceEvents(events, services.presence);
  defineChatEvents(events, services.chat);
  defineTypingEvents(events, services.typing, io);
  const calls = defineCallEvents(events, { calls: services.calls, io, liveness: ctx.callLiveness, signalLimit: ctx.platform.config.CALL_SIGNAL_LIMIT });
  return {
    attach(socket) {
      events.attach(socket);
      calls.attach(socket);
    },
  };
}
