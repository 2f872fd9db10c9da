import { randomBytes } from "node:crypto";
import type { Actor } from "../auth/actor.js";
import { AppError } from "../errors/app-error.js";
import type { DomainEventBus } from "../events/event-bus.js";
import type { MediaUploadView, MediaUrls } from "../media/media.types.js";
import { toOwnView } from "./profile-view.js";
import type { ProfileRepository } from "./profile.repository.js";
import type { OwnProfileView, Profile, ProfileAvatar } from "./profile.types.js";

/** The part of the media domain avatars use. */
export interface AvatarMedia {
  resolveForOwner(actorId: string, mediaId: string, purpose: "avatar"): Promise<MediaUploadView>;
  urlsFor(mediaIds: readonly string[]): Promise<Map<string, MediaUrls>>;
  attach(mediaId: string, ref: string): Promise<void>;
  detach(mediaId: string, ref: string): Promise<void>;
}

/**
 * Avatars are uploads: the user's own, purpose `avatar` (stored under
 * `public/`, so their URLs are stable), ready. Replacing or removing one
 * releases the previous upload through `profile.avatar-released`, recorded
 * with the profile write (durable); a deleted account releases all its media.
 */
export class AvatarService {
  constructor(
    private readonly profiles: ProfileRepository,
    private readonly media: AvatarMedia,
    private readonly events: Pick<DomainEventBus, "record" | "published">,
  ) {}

  /** PUT /api/profiles/me/avatar. Setting the current avatar again changes nothing. */
  async set(actor: Actor, uploadId: string): Promise<OwnProfileView> {
    const before = await this.live(actor.userId);
    if (before.avatar?.mediaId === uploadId) return toOwnView(before);
    const upload = await this.media.resolveForOwner(actor.userId, uploadId, "avatar");
    const urls = (await this.media.urlsFor([upload.id])).get(upload.id);
    if (!urls) throw new AppError("MEDIA_NOT_READY", "This upload has no URLs yet");
    // A fresh reference per use: a late release of an earlier use of the same upload cannot drop this one.
    const avatar: ProfileAvatar = {
      mediaId: upload.id,
      url: urls.displayUrl ?? urls.url,
      thumbnailUrl: urls.thumbnailUrl ?? urls.displayUrl ?? urls.url,
      ref: `avatar:${actor.userId}:${randomBytes(6).toString("hex")}`,
    };
    await this.media.attach(upload.id, avatar.ref);
    const updated = await this.replace(before, avatar);
    if (!updated) {
      await this.media.detach(upload.id, avatar.ref);
      throw new AppError("CONFLICT", "The avatar changed meanwhile; try again");
    }
    return toOwnView(updated);
  }

  /** DELETE /api/profiles/me/avatar. Idempotent. */
  async remove(actor: Actor): Promise<OwnProfileView> {
    const before = await this.live(actor.userId);
    if (!before.avatar && before.avatarUrl === null) return toOwnView(before);
    const updated = await this.replace(before, null);
    if (!updated) throw new AppError("CONFLICT", "The avatar changed meanwhile; try again");
    return toOwnView(updated);
  }

  /** Compare-and-set on the current avatar, with the release of the previous upload in the same write. */
  private async replace(before: Profile, avatar: ProfileAvatar | null): Promise<Profile | null> {
    const previous = before.avatar ?? null;
    const entries = previous ? [this.events.record("profile.avatar-released", { userId: before.userId, mediaId: previous.mediaId, ref: previous.ref })] : [];
    const updated = await this.profiles.replaceAvatar(before.userId, previous?.mediaId ?? null, avatar, entries);
    if (updated && entries.length > 0) await this.events.published({ collection: "profiles", filter: { userId: before.userId } }, entries);
    return updated;
  }

  private async live(userId: string): Promise<Profile> {
    const profile = await this.profiles.findByUserId(userId);
    if (!profile || profile.isDeleted) throw new AppError("PROFILE_NOT_FOUND", "Profile not found");
    return profile;
  }
}
