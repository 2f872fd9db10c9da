import type { TypingRepository } from "./typing.repository.js";
import { TYPING_THROTTLE_MS, TYPING_TTL_MS, type TypingEvent } from "./presence.types.js";

/**
 * What typing needs from chat: the other participants of a conversation the
 * user may write to. Throws (CONVERSATION_NOT_FOUND, FORBIDDEN, BLOCKED...) when
 * the user may not.
 */
export interface ConversationAudience {
  typingAudience(userId: string, conversationId: string): Promise<string[]>;
}

/** What a typing change produces: the event, and who gets it (empty: nothing to send). */
export interface TypingOutcome {
  event: TypingEvent;
  recipients: string[];
}

/**
 * Typing indicators: `typing:{chatId}:{userId}` lives 3 s unless refreshed, and
 * the other participants hear about it at most once per 2 s while the user
 * keeps typing, whichever device types.
 */
export class TypingService {
  constructor(
    private readonly typing: TypingRepository,
    private readonly audience: ConversationAudience,
  ) {}

  async update(userId: string, conversationId: string, isTyping: boolean): Promise<TypingOutcome> {
    const others = await this.audience.typingAudience(userId, conversationId);
    const changed = isTyping
      ? await this.typing.start(conversationId, userId, TYPING_TTL_MS, TYPING_THROTTLE_MS)
      : await this.typing.stop(conversationId, userId);
    return {
      event: { conversationId, userId, isTyping, expiresInMs: isTyping ? TYPING_TTL_MS : 0 },
      recipients: changed ? others : [],
    };
  }
}
