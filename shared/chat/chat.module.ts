import type { AccessControl } from "../access/access-control.js";
import type { Db } from "mongodb";
import type { Redis } from "../db/redis.js";
import type { DomainEventBus } from "../events/event-bus.js";
import type { OutboxCollection } from "../events/outbox-sweeper.js";
import type { Logger } from "../logging/logger.js";
import type { Realtime } from "../runtime/socket-events.js";
import { ChangeRepository } from "./change.repository.js";
import type { ChatTestHooks } from "./chat-test-hooks.js";
import type { ChatDeps, ChatMedia, UserDirectory } from "./chat.deps.js";
import type { InvalidationChannel } from "../realtime/invalidation-channel.js";
import { subscribeChatCaches } from "./chat-cache-invalidation.js";
import { ConversationRepository } from "./conversation.repository.js";
import { ConversationService } from "./conversation.service.js";
import { DirectPermissionCache } from "./direct-permission.cache.js";
import { GroupService } from "./group.service.js";
import { MemberListCache } from "./member-list.cache.js";
import { MemberRepository } from "./member.repository.js";
import { MessageChangeService } from "./message-change.service.js";
import { MessageQueryService } from "./message-query.service.js";
import { MessageRepository } from "./message.repository.js";
import { MessageService } from "./message.service.js";
import { ReceiptService } from "./receipt.service.js";
import { SyncService } from "./sync.service.js";
import { UnreadRepository } from "./unread.repository.js";

/** The chat domain's services, as transports and other domains reach them (`services.chat`). */
export interface ChatServices {
  conversations: ConversationService;
  groups: GroupService;
  /** Sending, plus system lines and call records for other domains. */
  messages: MessageService;
  /** Edit, delete, react. */
  changes: MessageChangeService;
  /** History, gallery, search. */
  queries: MessageQueryService;
  receipts: ReceiptService;
  sync: SyncService;
}

export interface ChatModuleDeps {
  db: Db;
  redis: Redis;
  access: AccessControl;
  directory: UserDirectory;
  realtime: Pick<Realtime, "toUsers">;
  events: DomainEventBus;
  /** Attachments: the media domain resolves uploads and signs their URLs. */
  media: ChatMedia;
  logger: Logger;
  /** CHAT_GAP_WINDOW_MS: how long sync waits at a claimed but unwritten seq before voiding it. */
  gapWindowMs?: number;
  /** Stall and crash points for tests with real processes (chatTestHooks). */
  hooks?: ChatTestHooks;
  /** Keeps the in-process caches in step with blocks, privacy and membership changes made by any process. */
  invalidations?: InvalidationChannel;
}

/** Messages carry `chat.message-sent`, conversations `chat.member-added` (shard keys: conversation). */
const CHAT_OUTBOX: OutboxCollection[] = [
  { name: "messages", shardKey: ["conversationId"] },
  { name: "conversations" },
];

/** Builds the chat domain over its stores. */
export function createChatModule(input: ChatModuleDeps) {
  const { db, access } = input;
  const conversations = new ConversationRepository(db);
  const memberLists = new MemberListCache(conversations);
  const permissions = new DirectPermissionCache(access);
  if (input.invalidations) subscribeChatCaches(input.invalidations, { permissions, memberLists });
  const deps: ChatDeps = {
    conversations,
    members: new MemberRepository(db),
    messages: new MessageRepository(db),
    changes: new ChangeRepository(db),
    unread: new UnreadRepository(input.redis),
    memberLists,
    permissions,
    access,
    directory: input.directory,
    realtime: input.realtime,
    media: input.media,
    logger: input.logger.child({ domain: "chat" }),
    events: input.events,
    hooks: input.hooks ?? {},
  };
  const messages = new MessageService(deps);
  const receipts = new ReceiptService(deps);
  const conversationService = new ConversationService(deps, messages, receipts);
  const services: ChatServices = {
    conversations: conversationService,
    groups: new GroupService(deps, conversationService, messages),
    messages,
    changes: new MessageChangeService(deps),
    queries: new MessageQueryService(deps),
    receipts,
    sync: new SyncService(deps, input.gapWindowMs),
  };
  return { services, outboxCollections: CHAT_OUTBOX };
}
