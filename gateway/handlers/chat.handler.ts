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
import type { SocketEvents } from "./socket-event.js";

/**
 * The real-time chat operations. Each parses its payload with the schema the
 * REST route uses and calls one chat service method as the socket's user;
 * deliveries reach other devices through the chat service's pushes.
 */
export function defineChatEvents(events: SocketEvents, chat: ChatServices): void {
  events.on("chat:send", sendMessageSchema, (input, socket) => chat.messages.send(socket.data, input));
  events.on("chat:edit", editMessageSchema, (input, socket) => chat.changes.edit(socket.data, input));
  events.on("chat:delete", deleteMessageSchema, (input, socket) => chat.changes.delete(socket.data, input));
  events.on("chat:react", reactSchema, (input, socket) => chat.changes.react(socket.data, input));
  events.on("chat:delivered", cursorMoveSchema, (input, socket) => chat.receipts.delivered(socket.data, input));
  events.on("chat:read", cursorMoveSchema, (input, socket) => chat.receipts.read(socket.data, input));
  events.on("chat:sync", syncSchema, (input, socket) => chat.sync.sync(socket.data, input));
  events.on("chat:conversations", listConversationsSchema, (input, socket) => chat.conversations.list(socket.data, input));
  events.on("chat:history", historySchema, (input, socket) => chat.queries.history(socket.data, input));
}
