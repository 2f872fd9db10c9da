import type { AccessControl } from "../access/access-control.js";
import type { Db } from "mongodb";
import type { Redis } from "../db/redis.js";
import type { DomainEventBus } from "../events/event-bus.js";
import type { OutboxCollection } from "../events/outbox-sweeper.js";
import type { Logger } from "../logging/logger.js";
import type { Realtime } from "../runtime/socket-events.js";
import { ChangeRepository } from "./change.repository.js";
import type { ChatTestHooks } from "./chat-test-hooks.js";
import type { ChatMedia, UserDirectory } from "./chat-rules.js";
import type { InvalidationChannel } from "../realtime/invalidation-channel.js";
import { subscribeChatCaches } from "./chat-cache-invalidation.js";
import { ConversationRepository } from "./conversation.repository.js";
import { ConversationService } from "./conversation.service.js";
import { DirectPermissionCache } from "./direct-permission.cache.js";
import { GroupAvatarService } from "./group-avatar.service.js";
import { GroupService } from "./group.service.js";
import { MemberListCache } from "./member-list.cache.js";
import { MemberRepository } from "./member.repository.js";
import type { MaintenanceTask } from "../maintenance/maintenance.service.js";
import { MessageChangeService } from "./message-change.service.js";
import { MessageQueryService } from "./message-query.service.js";
import { MessageRepository } from "./message.repository.js";
import type { OnlineCheck } from "../presence/presence.types.js";
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
  /** Who is connected (the presence domain): a send announces `chat.message-to-offline` only for the others. */
  online: OnlineCheck;
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

/** Messages carry `chat.message-sent` and `chat.message-to-offline`, conversations `chat.member-added` (shard keys: conversation). */
const CHAT_OUTBOX: OutboxCollection[] = [
  { name: "messages", shardKey: ["conversationId"] },
  { name: "conversations" },
];

/** Builds the chat domain over its stores. */
export function createChatModule(input: ChatModuleDeps) {
  const { db, access } = input;
  const conversations = new ConversationRepository(db);
  const members = new MemberRepository(db);
  const messageStore = new MessageRepository(db);
  const changeStore = new ChangeRepository(db);
  const unread = new UnreadRepository(input.redis);
  const memberLists = new MemberListCache(conversations);
  const permissions = new DirectPermissionCache(access);
  if (input.invalidations) subscribeChatCaches(input.invalidations, { permissions, memberLists });
  const { directory, realtime, media, events } = input;
  const logger = input.logger.child({ domain: "chat" });
  const hooks = input.hooks ?? {};
  // Each service gets the repositories and caches it uses, nothing else.
  const messages = new MessageService(conversations, members, messageStore, changeStore, unread, memberLists, permissions, realtime, media, events, input.online, logger, hooks);
  const receipts = new ReceiptService(conversations, members, messageStore, unread, memberLists, realtime, logger);
  const avatars = new GroupAvatarService(media, conversations, events);
  const conversationService = new ConversationService(conversations, members, memberLists, permissions, access, directory, realtime, messages, receipts, avatars);
  const services: ChatServices = {
    conversations: conversationService,
    groups: new GroupService(conversations, members, unread, memberLists, access, directory, realtime, events, conversationService, messages),
    messages,
    changes: new MessageChangeService(conversations, members, messageStore, changeStore, unread, memberLists, realtime, media, logger),
    queries: new MessageQueryService(conversations, members, messageStore, media),
    receipts,
    sync: new SyncService(conversations, members, messageStore, changeStore, input.gapWindowMs),
  };
  const maintenanceTasks: MaintenanceTask[] = [
    // The archivedChats mirror made to match the members (backfill of older archives; a crash between the two writes).
    { name: "chat.archive-mirror-repair", period: "weekly", run: () => members.repairArchived(500) },
  ];
  return { services, outboxCollections: CHAT_OUTBOX, maintenanceTasks };
}
