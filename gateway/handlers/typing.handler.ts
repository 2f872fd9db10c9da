import { z } from "zod";
import { TypingThrottle } from "../../shared/presence/typing-throttle.js";
import { userRoom } from "../../shared/realtime/rooms.js";
import type { TypingService } from "../../shared/presence/typing.service.js";
import type { GatewayServer } from "../server.js";
import type { GatewaySocket, SocketEvents } from "./socket-event.js";

const typingSchema = z
  .object({
    conversationId: z.uuid(),
    isTyping: z.boolean(),
  })
  .strict();

/**
 * `chat:typing`: the socket's own throttle (made on its first report) drops
 * repeats within 2 s without a store round trip; the service checks
 * membership, refreshes the 3 s key and says whom to tell (throttled again
 * across the user's devices).
 */
export function defineTypingEvents(events: SocketEvents, typing: Pick<TypingService, "update">, io: GatewayServer): void {
  const throttles = new WeakMap<GatewaySocket, TypingThrottle>();

  events.on("chat:typing", typingSchema, async ({ conversationId, isTyping }, socket) => {
    let throttle = throttles.get(socket);
    if (!throttle) throttles.set(socket, (throttle = new TypingThrottle()));
    if (isTyping && throttle.isQuiet(conversationId)) return { delivered: false };
    const { event, recipients } = await typing.update(socket.data.userId, conversationId, isTyping);
    throttle.record(conversationId, isTyping);
    if (recipients.length > 0) io.to(recipients.map(userRoom)).emit("chat:typing", event);
    return { delivered: recipients.length > 0 };
  });
}
