import {
  addMembersBody,
  conversationParams,
  createConversationSchema,
  cursorMoveBody,
  deleteMessageQuery,
  editMessageBody,
  emptyPartSchema,
  galleryQuery,
  historyQuery,
  listConversationsSchema,
  listMembersQuery,
  memberParams,
  messageParams,
  reactBody,
  readersQuery,
  searchSchema,
  sendMessageBody,
  setRoleBody,
  settingsBody,
  syncSchema,
  updateGroupBody,
} from "../../shared/chat/chat.schema.js";
import type { Services } from "../../shared/runtime/services.js";
import { defineRoute, reply, type RouteGroup } from "../http/route.js";

/**
 * /api/chat: conversations, members, messages, receipts, settings, search,
 * gallery and sync. Every route needs an access token; a conversation the
 * caller is not in answers 404 CONVERSATION_NOT_FOUND, exactly like a missing
 * one. The ids in the path join the body or query into the input the socket
 * events take, so both paths run the same service methods on the same fields.
 */
export function chatRoutes({ chat }: Pick<Services, "chat">): RouteGroup {
  const { conversations, groups, messages, changes, queries, receipts, sync } = chat;
  const conversation = (params: { id: string }) => ({ conversationId: params.id });
  const message = (params: { id: string; messageId: string }) => ({ conversationId: params.id, messageId: params.messageId });
  return {
    prefix: "/chat",
    tag: "chat",
    routes: [
      defineRoute({
        method: "post", path: "/conversations", summary: "Open a direct conversation (200 when it exists) or create a group", auth: "required", rate: "write", body: createConversationSchema, status: 201,
        handler: async ({ actor, body }) => {
          if (body.type === "direct") {
            const { conversation: direct, created } = await conversations.openOrCreateDirect(actor, body.userId);
            return reply(created ? 201 : 200, { conversation: direct });
          }
          return { conversation: await groups.create(actor, body) };
        },
      }),
      defineRoute({
        method: "get", path: "/conversations", summary: "The caller's conversations, most recent first", auth: "required", rate: "read", query: listConversationsSchema,
        handler: ({ actor, query }) => conversations.list(actor, query),
      }),
      defineRoute({
        method: "get", path: "/conversations/:id", summary: "One conversation", auth: "required", rate: "read", params: conversationParams,
        handler: async ({ actor, params }) => ({ conversation: await conversations.get(actor, params.id) }),
      }),
      defineRoute({
        method: "patch", path: "/conversations/:id", summary: "Change a group's title, description or avatar (admins)", auth: "required", rate: "write", params: conversationParams, body: updateGroupBody,
        handler: async ({ actor, params, body }) => ({ conversation: await conversations.updateGroup(actor, { ...body, ...conversation(params) }) }),
      }),
      defineRoute({
        method: "patch", path: "/conversations/:id/settings", summary: "Mute, pin or archive a conversation for the caller", auth: "required", rate: "write", params: conversationParams, body: settingsBody,
        handler: async ({ actor, params, body }) => ({ conversation: await conversations.updateSettings(actor, { ...body, ...conversation(params) }) }),
      }),
      defineRoute({
        method: "post", path: "/conversations/:id/clear", summary: "Clear the caller's history of a conversation", auth: "required", rate: "write", params: conversationParams, body: emptyPartSchema.optional(),
        handler: async ({ actor, params }) => ({ conversation: await conversations.clear(actor, params.id) }),
      }),
      defineRoute({
        method: "post", path: "/conversations/:id/leave", summary: "Leave a group", auth: "required", rate: "write", params: conversationParams, body: emptyPartSchema.optional(),
        handler: async ({ actor, params }) => void (await groups.leave(actor, params.id)),
      }),
      defineRoute({
        method: "get", path: "/conversations/:id/members", summary: "A group's members", auth: "required", rate: "read", params: conversationParams, query: listMembersQuery,
        handler: ({ actor, params, query }) => groups.listMembers(actor, { ...query, ...conversation(params) }),
      }),
      defineRoute({
        method: "post", path: "/conversations/:id/members", summary: "Add members to a group (admins)", auth: "required", rate: "write", params: conversationParams, body: addMembersBody,
        handler: ({ actor, params, body }) => groups.addMembers(actor, { ...body, ...conversation(params) }),
      }),
      defineRoute({
        method: "patch", path: "/conversations/:id/members/:userId", summary: "Make a member admin or member (admins)", auth: "required", rate: "write", params: memberParams, body: setRoleBody,
        handler: async ({ actor, params, body }) => ({ member: await groups.setRole(actor, { ...body, conversationId: params.id, userId: params.userId }) }),
      }),
      defineRoute({
        method: "delete", path: "/conversations/:id/members/:userId", summary: "Remove a member from a group (admins)", auth: "required", rate: "write", params: memberParams,
        handler: async ({ actor, params }) => void (await groups.removeMember(actor, { conversationId: params.id, userId: params.userId })),
      }),
      defineRoute({
        method: "get", path: "/conversations/:id/messages", summary: "History, newest first (before/after a seq)", auth: "required", rate: "read", params: conversationParams, query: historyQuery,
        handler: ({ actor, params, query }) => queries.history(actor, { ...query, ...conversation(params) }),
      }),
      defineRoute({
        method: "post", path: "/conversations/:id/messages", summary: "Send a message (a retried clientMessageId answers 200 with the original)", auth: "required", rate: "messageSend", params: conversationParams, body: sendMessageBody, status: 201,
        handler: async ({ actor, params, body }) => {
          const result = await messages.send(actor, { ...body, ...conversation(params) });
          return reply(result.duplicate ? 200 : 201, result);
        },
      }),
      defineRoute({
        method: "patch", path: "/conversations/:id/messages/:messageId", summary: "Edit one of the caller's text messages", auth: "required", rate: "write", params: messageParams, body: editMessageBody,
        handler: async ({ actor, params, body }) => ({ change: await changes.edit(actor, { ...body, ...message(params) }) }),
      }),
      defineRoute({
        method: "delete", path: "/conversations/:id/messages/:messageId", summary: "Delete a message for the caller or for everyone", auth: "required", rate: "write", params: messageParams, query: deleteMessageQuery,
        handler: async ({ actor, params, query }) => ({ change: await changes.delete(actor, { ...query, ...message(params) }) }),
      }),
      defineRoute({
        method: "put", path: "/conversations/:id/messages/:messageId/reaction", summary: "Set (or with null remove) the caller's reaction", auth: "required", rate: "write", params: messageParams, body: reactBody,
        handler: async ({ actor, params, body }) => ({ change: await changes.react(actor, { ...body, ...message(params) }) }),
      }),
      defineRoute({
        method: "delete", path: "/conversations/:id/messages/:messageId/reaction", summary: "Remove the caller's reaction", auth: "required", rate: "write", params: messageParams,
        handler: async ({ actor, params }) => ({ change: await changes.react(actor, { emoji: null, ...message(params) }) }),
      }),
      defineRoute({
        method: "get", path: "/conversations/:id/messages/:messageId/readers", summary: "Who read a message (groups)", auth: "required", rate: "read", params: messageParams, query: readersQuery,
        handler: async ({ actor, params, query }) => ({ items: await receipts.readers(actor, { ...query, ...message(params) }) }),
      }),
      defineRoute({
        method: "get", path: "/conversations/:id/messages/:messageId/media", summary: "Short-lived URLs of a message's attachment", auth: "required", rate: "read", params: messageParams, query: emptyPartSchema,
        handler: async ({ actor, params, res }) => {
          res.setHeader("cache-control", "private, no-store");
          return { media: await queries.attachment(actor, message(params)) };
        },
      }),
      defineRoute({
        method: "put", path: "/conversations/:id/read", summary: "Move the caller's read cursor", auth: "required", rate: "write", params: conversationParams, body: cursorMoveBody,
        handler: ({ actor, params, body }) => receipts.read(actor, { ...body, ...conversation(params) }),
      }),
      defineRoute({
        method: "put", path: "/conversations/:id/delivered", summary: "Move the caller's delivered cursor", auth: "required", rate: "write", params: conversationParams, body: cursorMoveBody,
        handler: ({ actor, params, body }) => receipts.delivered(actor, { ...body, ...conversation(params) }),
      }),
      defineRoute({
        method: "get", path: "/conversations/:id/gallery", summary: "Media, files or audio of a conversation", auth: "required", rate: "read", params: conversationParams, query: galleryQuery,
        handler: ({ actor, params, query }) => queries.gallery(actor, { ...query, ...conversation(params) }),
      }),
      defineRoute({
        method: "get", path: "/search", summary: "Search the caller's messages", auth: "required", rate: "search", query: searchSchema,
        handler: ({ actor, query }) => queries.search(actor, query),
      }),
      defineRoute({
        method: "post", path: "/sync", summary: "Everything missed since the given seqs and receipts cursor", auth: "required", rate: "read", body: syncSchema,
        handler: ({ actor, body }) => sync.sync(actor, body),
      }),
    ],
  };
}
