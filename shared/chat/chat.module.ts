import type { AccessControl } from "../access/access-control.js";
import type { Platform } from "../runtime/platform.js";
import { ChangeRepository } from "./change.repository.js";
import { chatTestHooks } from "./chat-test-hooks.js";
import type { ChatDeps, MessageSentListener, UserDirectory } from "./chat.deps.js";
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
  /** Runs `listener` after every stored message (the seam for offline push notifications). */
  onMessageSent(listener: MessageSentListener): void;
}

/** Builds the chat services over the platform's stores. */
export function createChatServices(platform: Platform, access: AccessControl, directory: UserDirectory): ChatServices {
  const conversations = new ConversationRepository(platform.mongo.db);
  const deps: ChatDeps = {
    conversations,
    members: new MemberRepository(platform.mongo.db),
    messages: new MessageRepository(platform.mongo.db),
    changes: new ChangeRepository(platform.mongo.db),
    unread: new UnreadRepository(platform.redis),
    memberLists: new MemberListCache(conversations),
    permissions: new DirectPermissionCache(access),
    access,
    directory,
    realtime: platform.realtime,
    logger: platform.logger.child({ domain: "chat" }),
    sentListeners: [],
    hooks: chatTestHooks(platform.config),
  };
  const messages = new MessageService(deps);
  const receipts = new ReceiptService(deps);
  const conversationService = new ConversationService(deps, messages, receipts);
  return {
    conversations: conversationService,
    groups: new GroupService(deps, conversationService, messages),
    messages,
    changes: new MessageChangeService(deps),
    queries: new MessageQueryService(deps),
    receipts,
    sync: new SyncService(deps, platform.config.CHAT_GAP_WINDOW_MS),
    onMessageSent: (listener) => void deps.sentListeners.push(listener),
  };
}
