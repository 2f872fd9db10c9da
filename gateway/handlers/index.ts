import type { GatewayContext } from "../server.js";
import type { GatewaySocket } from "./socket-event.js";
import { registerCallHandlers } from "./call.handler.js";
import { registerChatHandlers } from "./chat.handler.js";
import { registerPresenceHandlers } from "./presence.handler.js";
import { registerSessionHandlers } from "./session.handler.js";
import { registerSystemHandlers } from "./system.handler.js";
import { registerTypingHandlers } from "./typing.handler.js";
import { registerUnknownEventHandler } from "./unknown-event.handler.js";

/** Every area's event handlers, registered on each authenticated socket; each gets only the services it calls. */
export function registerHandlers(socket: GatewaySocket, ctx: GatewayContext): void {
  const { services, io, eventOptions: options } = ctx;
  registerSystemHandlers(socket, options);
  registerSessionHandlers(socket, services.accessGuard, options);
  registerPresenceHandlers(socket, services.presence, options);
  registerChatHandlers(socket, services.chat, options);
  registerTypingHandlers(socket, services.typing, io, options);
  registerCallHandlers(socket, { calls: services.calls, io, liveness: ctx.callLiveness, signalLimit: ctx.platform.config.CALL_SIGNAL_LIMIT }, options);
  registerUnknownEventHandler(socket, options);
}
