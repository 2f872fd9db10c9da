import type { GatewayContext } from "../server.js";
import type { GatewaySocket } from "./socket-event.js";
import { registerCallHandlers } from "./call.handler.js";
import { registerChatHandlers } from "./chat.handler.js";
import { registerPresenceHandlers } from "./presence.handler.js";
import { registerSessionHandlers } from "./session.handler.js";
import { registerSystemHandlers } from "./system.handler.js";
import { registerTypingHandlers } from "./typing.handler.js";
import { registerUnknownEventHandler } from "./unknown-event.handler.js";

/** Every area's event handlers, registered on each authenticated socket. */
export function registerHandlers(socket: GatewaySocket, ctx: GatewayContext): void {
  registerSystemHandlers(socket, ctx);
  registerSessionHandlers(socket, ctx);
  registerPresenceHandlers(socket, ctx);
  registerChatHandlers(socket, ctx);
  registerTypingHandlers(socket, ctx);
  registerCallHandlers(socket, ctx);
  registerUnknownEventHandler(socket, ctx);
}
