import {
  cursorMoveSchema,
  deleteMessageSchema,
  editMessageSchema,
  historySchema,
  listConversationsSchema,
  reactSchema,
  sendMessageSchema,
  syncSchema,
} from "../../shared/chat/chat.schema.js";
import type { ChatServices } from "../../shared/chat/chat.module.js";
import { onEvent, type EventOptions, type GatewaySocket } from "./socket-event.js";

/**
 * The real-time chat operations. Each parses its payload with the schema the
 * REST route uses and calls one chat service method as the socket's user;
 * deliveries reach other devices through the chat service's pushes.
 */
export function registerChatHandlers(socket: GatewaySocket, chat: ChatServices, options: EventOptions): void {
  const me = () => socket.data;

  onEvent(socket, "chat:send", sendMessageSchema, (input) => chat.messages.send(me(), input), options);
  onEvent(socket, "chat:edit", editMessageSchema, (input) => chat.changes.edit(me(), input), options);
  onEvent(socket, "chat:delete", deleteMessageSchema, (input) => chat.changes.delete(me(), input), options);
  onEvent(socket, "chat:react", reactSchema, (input) => chat.changes.react(me(), input), options);
  onEvent(socket, "chat:delivered", cursorMoveSchema, (input) => chat.receipts.delivered(me(), input), options);
  onEvent(socket, "chat:read", cursorMoveSchema, (input) => chat.receipts.read(me(), input), options);
  onEvent(socket, "chat:sync", syncSchema, (input) => chat.sync.sync(me(), input), options);
  onEvent(socket, "chat:conversations", listConversationsSchema, (input) => chat.conversations.list(me(), input), options);
  onEvent(socket, "chat:history", historySchema, (input) => chat.queries.history(me(), input), options);
}
