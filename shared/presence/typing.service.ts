import type { AccessControl } from "../access/access-control.js";
import { AppError } from "../errors/app-error.js";
import type { TypingRepository } from "./typing.repository.js";
import { TYPING_THROTTLE_MS, TYPING_TTL_MS, type TypingEvent } from "./presence.types.js";

/** What typing needs from chat: every member of a conversation the actor is in (throws CONVERSATION_NOT_FOUND otherwise). */
export interface ConversationMembers {
  participants(actorId: string, conversationId: string): Promise<readonly string[]>;
}

/** What a typing change produces: the event, and who gets it (empty: nothing to send). */
export interface TypingOutcome {
  event: TypingEvent;
  recipients: string[];
}

/**
 * Typing indicators: `typing:{chatId}:{userId}` lives 3 s unless refreshed, and
 * the other participants hear about it at most once per 2 s while the user
 * keeps typing, whichever device types. Only members may report typing, and
 * never to a peer they have blocked or are blocked by.
 */
export class TypingService {
  constructor(
    private readonly typing: TypingRepository,
    private readonly members: ConversationMembers,
    private readonly access: Pick<AccessControl, "isBlockedEitherWay">,
  ) {}

  async update(userId: string, conversationId: string, isTyping: boolean): Promise<TypingOutcome> {
    const others = (await this.members.participants(userId, conversationId)).filter((id) => id !== userId);
    const [peer] = others;
    if (others.length === 1 && peer && (await this.access.isBlockedEitherWay(userId, peer))) {
      throw new AppError("MESSAGING_NOT_ALLOWED", "You can't message this user");
    }
    const changed = isTyping
      ? await this.typing.start(conversationId, userId, TYPING_TTL_MS, TYPING_THROTTLE_MS)
      : await this.typing.stop(conversationId, userId);
    return {
      event: { conversationId, userId, isTyping, expiresInMs: isTyping ? TYPING_TTL_MS : 0 },
      recipients: changed ? others : [],
    };
  }
}
