import { randomBytes } from "node:crypto";
import { AppError } from "../errors/app-error.js";
import type { DomainEventBus } from "../events/event-bus.js";
import type { ChatMedia } from "./chat-rules.js";
import type { ConversationHead, ConversationRepository, GroupAvatarDoc } from "./conversation.repository.js";

/** The reference a group holds on its avatar upload, fresh per use (`group-avatar:<conversationId>:<nonce>`). */
export const groupAvatarRef = (conversationId: string): string => `group-avatar:${conversationId}:${randomBytes(6).toString("hex")}`;

/**
 * Group avatars are uploads, like profile avatars: the acting admin's own,
 * purpose `avatar` (processed under `public/`, stable URLs), ready. Each use
 * references the upload; replacing or removing it records
 * `chat.group-avatar-released` with the conversation write (durable), and the
 * media domain drops that reference. Callers check the admin rule first.
 */
export class GroupAvatarService {
  constructor(
    private readonly media: ChatMedia,
    private readonly conversations: ConversationRepository,
    private readonly events: Pick<DomainEventBus, "record" | "published">,
  ) {}

  /** Resolves the actor's upload and references it for the group; the caller stores the result (or `abandon`s it). */
  async prepare(actorId: string, conversationId: string, uploadId: string): Promise<GroupAvatarDoc> {
    const upload = await this.media.resolveForOwner(actorId, uploadId, "avatar");
    const urls = (await this.media.urlsFor([upload.id])).get(upload.id);
    if (!urls) throw new AppError("MEDIA_NOT_READY", "This upload has no URLs yet");
    const avatar: GroupAvatarDoc = {
      mediaId: upload.id,
      url: urls.displayUrl ?? urls.url,
      thumbnailUrl: urls.thumbnailUrl ?? urls.displayUrl ?? urls.url,
      ref: groupAvatarRef(conversationId),
    };
    await this.media.attach(upload.id, avatar.ref);
    return avatar;
  }

  /** A prepared avatar that was not stored lets go of its reference. */
  async abandon(avatar: GroupAvatarDoc): Promise<void> {
    await this.media.detach(avatar.mediaId, avatar.ref);
  }

  /**
   * Sets (`uploadId`) or removes (`null`) the group's avatar: a compare-and-set
   * on the current one, releasing it in the same write. Setting the current
   * upload again changes nothing. `CONFLICT` when another admin changed it meanwhile.
   */
  async replace(actorId: string, head: ConversationHead, uploadId: string | null): Promise<void> {
    const previous = head.avatar ?? null;
    if (uploadId !== null && previous?.mediaId === uploadId) return;
    if (uploadId === null && !previous && head.avatarUrl === undefined) return;
    const avatar = uploadId === null ? null : await this.prepare(actorId, head._id, uploadId);
    const { events, conversations } = this;
    const entries = previous ? [events.record("chat.group-avatar-released", { conversationId: head._id, mediaId: previous.mediaId, ref: previous.ref })] : [];
    const stored = await conversations.replaceGroupAvatar(head._id, previous?.mediaId ?? null, avatar, entries, new Date());
    if (!stored) {
      if (avatar) await this.abandon(avatar);
      throw new AppError("CONFLICT", "The group's avatar changed meanwhile; try again");
    }
    if (entries.length > 0) await events.published({ collection: "conversations", filter: { _id: head._id } }, entries);
  }
}
