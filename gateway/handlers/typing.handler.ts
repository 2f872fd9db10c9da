import { z } from "zod";
import { TypingThrottle } from "../../shared/presence/typing-throttle.js";
import { userRoom } from "../../shared/realtime/rooms.js";
import type { TypingService } from "../../shared/presence/typing.service.js";
import type { GatewayServer } from "../server.js";
import { onEvent, type EventOptions, type GatewaySocket } from "./socket-event.js";

const typingSchema = z
  .object({
    conversationId: z.uuid(),
    isTyping: z.boolean(),
  })
  .strict();

/**
 * `chat:typing`: the socket's own throttle drops repeats within 2 s without a
 * store round trip; the service checks membership, refreshes the 3 s key and
 * says whom to tell (throttled again across the user's devices).
 */
export function registerTypingHandlers(socket: GatewaySocket, typing: Pick<TypingService, "update">, io: GatewayServer, options: EventOptions): void {
  const throttle = new TypingThrottle();

  onEvent(socket, "chat:typing", typingSchema, async ({ conversationId, isTyping }) => {
    if (isTyping && throttle.isQuiet(conversationId)) return { delivered: false };
    const { event, recipients } = await typing.update(socket.data.userId, conversationId, isTyping);
    throttle.record(conversationId, isTyping);
    if (recipients.length > 0) io.to(recipients.map(userRoom)).emit("chat:typing", event);
    return { delivered: recipients.length > 0 };
  }, options);
}
