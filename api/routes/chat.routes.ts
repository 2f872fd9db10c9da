import { Router } from "express";
import {
  addMembersSchema,
  conversationRefSchema,
  createConversationSchema,
  cursorMoveSchema,
  deleteMessageSchema,
  editMessageSchema,
  gallerySchema,
  historySchema,
  listConversationsSchema,
  listMembersSchema,
  memberRefSchema,
  reactSchema,
  readersSchema,
  searchSchema,
  sendMessageSchema,
  setRoleSchema,
  settingsSchema,
  syncSchema,
  updateGroupSchema,
} from "../../shared/chat/chat.schema.js";
import { parseInput } from "../../shared/validation/parse.js";
import type { ApiDeps } from "../app.js";
import { actor, authenticate } from "../middleware/authenticate.js";
import { rateLimit } from "../middleware/rate-limit.js";

/**
 * Path parameters joined to the body or query, so one schema (shared with the
 * gateway events) checks the whole input. A body that is not a JSON object is
 * passed on as it is, for the schema to refuse.
 */
function withParams(input: unknown, params: Record<string, string | string[] | undefined>): unknown {
  const named = { ...(params.id ? { conversationId: params.id } : {}), ...(params.messageId ? { messageId: params.messageId } : {}), ...(params.userId ? { userId: params.userId } : {}) };
  if (input === undefined || input === null) return named;
  if (typeof input !== "object" || Array.isArray(input)) return input;
  return { ...(input as Record<string, unknown>), ...named };
}

/**
 * /api/chat: conversations, members, messages, receipts, settings, search,
 * gallery and sync. Every route needs an access token; a conversation the
 * caller is not in answers 404 CONVERSATION_NOT_FOUND, exactly like a missing one.
 */
export function chatRoutes({ services }: ApiDeps): Router {
  const router = Router();
  const { chat } = services;
  router.use(authenticate(services.accessGuard));
  const read = rateLimit(services.rateLimiter, "read");
  const write = rateLimit(services.rateLimiter, "write");
  const send = rateLimit(services.rateLimiter, "messageSend");
  const search = rateLimit(services.rateLimiter, "search");
  const me = (res: Parameters<typeof actor>[0]) => actor(res).userId;

  router.post("/conversations", write, async (req, res) => {
    const input = parseInput(createConversationSchema, req.body, "conversation");
    if (input.type === "direct") {
      const { conversation, created } = await chat.conversations.openOrCreateDirect(me(res), input.userId);
      return void res.status(created ? 201 : 200).json({ conversation });
    }
    res.status(201).json({ conversation: await chat.groups.create(me(res), input) });
  });

  router.get("/conversations", read, async (req, res) => {
    res.json(await chat.conversations.list(me(res), parseInput(listConversationsSchema, req.query, "query")));
  });

  router.get("/conversations/:id", read, async (req, res) => {
    const { conversationId } = parseInput(conversationRefSchema, withParams({}, req.params), "path");
    res.json({ conversation: await chat.conversations.get(me(res), conversationId) });
  });

  router.patch("/conversations/:id", write, async (req, res) => {
    const input = parseInput(updateGroupSchema, withParams(req.body, req.params), "group update");
    res.json({ conversation: await chat.conversations.updateGroup(me(res), input) });
  });

  router.patch("/conversations/:id/settings", write, async (req, res) => {
    const input = parseInput(settingsSchema, withParams(req.body, req.params), "settings");
    res.json({ conversation: await chat.conversations.updateSettings(me(res), input) });
  });

  router.post("/conversations/:id/clear", write, async (req, res) => {
    const { conversationId } = parseInput(conversationRefSchema, withParams(req.body, req.params), "path");
    res.json({ conversation: await chat.conversations.clear(me(res), conversationId) });
  });

  router.post("/conversations/:id/leave", write, async (req, res) => {
    const { conversationId } = parseInput(conversationRefSchema, withParams(req.body, req.params), "path");
    await chat.groups.leave(me(res), conversationId);
    res.status(204).end();
  });

  router.get("/conversations/:id/members", read, async (req, res) => {
    res.json(await chat.groups.listMembers(me(res), parseInput(listMembersSchema, withParams(req.query, req.params), "query")));
  });

  router.post("/conversations/:id/members", write, async (req, res) => {
    res.json(await chat.groups.addMembers(me(res), parseInput(addMembersSchema, withParams(req.body, req.params), "members")));
  });

  router.patch("/conversations/:id/members/:userId", write, async (req, res) => {
    res.json({ member: await chat.groups.setRole(me(res), parseInput(setRoleSchema, withParams(req.body, req.params), "role")) });
  });

  router.delete("/conversations/:id/members/:userId", write, async (req, res) => {
    await chat.groups.removeMember(me(res), parseInput(memberRefSchema, withParams({}, req.params), "path"));
    res.status(204).end();
  });

  router.get("/conversations/:id/messages", read, async (req, res) => {
    res.json(await chat.queries.history(me(res), parseInput(historySchema, withParams(req.query, req.params), "query")));
  });

  router.post("/conversations/:id/messages", send, async (req, res) => {
    const result = await chat.messages.send(me(res), parseInput(sendMessageSchema, withParams(req.body, req.params), "message"));
    res.status(result.duplicate ? 200 : 201).json(result);
  });

  router.patch("/conversations/:id/messages/:messageId", write, async (req, res) => {
    res.json({ change: await chat.changes.edit(me(res), parseInput(editMessageSchema, withParams(req.body, req.params), "edit")) });
  });

  router.delete("/conversations/:id/messages/:messageId", write, async (req, res) => {
    res.json({ change: await chat.changes.delete(me(res), parseInput(deleteMessageSchema, withParams(req.query, req.params), "query")) });
  });

  router.put("/conversations/:id/messages/:messageId/reaction", write, async (req, res) => {
    res.json({ change: await chat.changes.react(me(res), parseInput(reactSchema, withParams(req.body, req.params), "reaction")) });
  });

  router.delete("/conversations/:id/messages/:messageId/reaction", write, async (req, res) => {
    const input = parseInput(reactSchema, withParams({ emoji: null }, req.params), "reaction");
    res.json({ change: await chat.changes.react(me(res), input) });
  });

  router.get("/conversations/:id/messages/:messageId/readers", read, async (req, res) => {
    res.json({ items: await chat.receipts.readers(me(res), parseInput(readersSchema, withParams(req.query, req.params), "query")) });
  });

  router.put("/conversations/:id/read", write, async (req, res) => {
    res.json(await chat.receipts.read(me(res), parseInput(cursorMoveSchema, withParams(req.body, req.params), "read cursor")));
  });

  router.put("/conversations/:id/delivered", write, async (req, res) => {
    res.json(await chat.receipts.delivered(me(res), parseInput(cursorMoveSchema, withParams(req.body, req.params), "delivered cursor")));
  });

  router.get("/conversations/:id/gallery", read, async (req, res) => {
    res.json(await chat.queries.gallery(me(res), parseInput(gallerySchema, withParams(req.query, req.params), "query")));
  });

  router.get("/search", search, async (req, res) => {
    res.json(await chat.queries.search(me(res), parseInput(searchSchema, req.query, "query")));
  });

  router.post("/sync", read, async (req, res) => {
    res.json(await chat.sync.sync(me(res), parseInput(syncSchema, req.body, "sync")));
  });

  return router;
}
