import type { Actor } from "../auth/actor.js";
import type { AccessControlService } from "../access/access-control.service.js";
import type { DomainEventBus } from "../events/event-bus.js";
import { AppError } from "../errors/app-error.js";
import type { FollowRepository } from "../social/follow.repository.js";
import { parseInput } from "../validation/parse.js";
import type { ProfileChanges, ProfileRepository } from "./profile.repository.js";
import { ensureProfileSchema, type EnsureProfileInput, type SearchProfilesInput, type UpdateProfileInput } from "./profile.schema.js";
import {
  ADMIN_ROLE,
  AUDIENCES,
  DEFAULT_PRIVACY,
  MAX_DISPLAY_NAME_LENGTH,
  USERNAME_PATTERN,
  defaultNotificationPreferences,
  emptyStats,
  type ContentStat,
  type NotificationPreferences,
  type OwnProfileView,
  type Profile,
  type ProfileSummary,
  type ProfileView,
  type Relationship,
} from "./profile.types.js";
import { toCard, toOwnView, toView, type ProfileCard } from "./profile-view.js";
import { usernameBase, withRandomSuffix } from "./username.js";


export const isAdmin = (actor: Actor | undefined): boolean => actor?.roles.includes(ADMIN_ROLE) === true;

const MAX_USERNAME_ATTEMPTS = 8;

/**
 * Profiles: creation at registration, the owner's view and edits, other users'
 * views (blocks hide, privacy reduces), search, and lookups other services use.
 */
export class ProfileService {
  constructor(
    private readonly profiles: ProfileRepository,
    private readonly follows: FollowRepository,
    private readonly access: AccessControlService,
    private readonly events: DomainEventBus,
  ) {}

  /**
   * Creates the user's profile unless it exists (idempotent, safe under
   * concurrent calls). A missing, invalid or taken username is replaced by one
   * derived from it (or the display name) plus a short random suffix.
   */
  async ensureProfile(input: EnsureProfileInput): Promise<Profile> {
    // Internal callers pass names to be cleaned, not refused: control characters are dropped first.
    const strip = (value: unknown) => (typeof value === "string" ? value.replace(/[\p{Cc}\p{Cs}]/gu, "") : value);
    const { userId, displayName: rawName, username } = parseInput(ensureProfileSchema, { ...input, displayName: strip(input.displayName), ...(input.username === undefined ? {} : { username: strip(input.username) }) }, "profile");
    const existing = await this.profiles.findByUserId(userId);
    if (existing) return existing;
    const displayName = cleanDisplayName(rawName, username);
    const wanted = username !== undefined && USERNAME_PATTERN.test(username) ? username : undefined;
    const base = usernameBase(username ?? displayName);
    for (let attempt = 0; attempt < MAX_USERNAME_ATTEMPTS; attempt++) {
      const candidate = attempt === 0 && wanted ? wanted : withRandomSuffix(base, attempt < 4 ? 5 : 8);
      const now = new Date();
      const profile: Profile = {
        userId,
        username: candidate,
        usernameLower: candidate.toLowerCase(),
        displayName,
        bio: "",
        avatarUrl: null,
        privacy: { ...DEFAULT_PRIVACY },
        notificationPreferences: defaultNotificationPreferences(),
        stats: emptyStats(),
        verification: { isVerified: false, verifiedAt: null },
        socialLinks: [],
        isDeleted: false,
        deletedAt: null,
        createdAt: now,
        updatedAt: now,
      };
      const outcome = await this.profiles.insert(profile);
      if (outcome.inserted) return profile;
      if (outcome.reason === "user_exists") {
        const winner = await this.profiles.findByUserId(userId);
        if (winner) return winner;
      }
    }
    throw new AppError("CONFLICT", "Could not find a free username; try again");
  }

  /** Summaries of the live profiles among `userIds`, by user id (absent ids are simply missing). */
  async getMany(userIds: readonly string[]): Promise<Map<string, ProfileSummary>> {
    const summaries = await this.profiles.findSummaries(userIds);
    return new Map(summaries.map((s) => [s.userId, s]));
  }

  /** Whether the user has a live profile. */
  async exists(userId: string): Promise<boolean> {
    const found = await this.profiles.findPrivacy(userId);
    return found !== null && !found.isDeleted;
  }

  /** The live ones among `userIds`. */
  async existing(userIds: readonly string[]): Promise<Set<string>> {
    return new Set((await this.profiles.findSummaries(userIds)).map((s) => s.userId));
  }

  /** A user's per-type notification switches, or null when the user has no live profile. */
  async notificationPreferences(userId: string): Promise<NotificationPreferences | null> {
    const profile = await this.profiles.findByUserId(userId);
    return profile && !profile.isDeleted ? { ...defaultNotificationPreferences(), ...profile.notificationPreferences } : null;
  }

  /** Several users' switches in one read (notification fan-out); users without a live profile are missing. */
  async notificationPreferencesMany(userIds: readonly string[]): Promise<Map<string, NotificationPreferences>> {
    const profiles = await this.profiles.findMany(userIds);
    return new Map(profiles.map((profile) => [profile.userId, { ...defaultNotificationPreferences(), ...profile.notificationPreferences }]));
  }

  /** Moves a content counter (posts, videos, views) of a user; the owning domain calls it after its own write. */
  async adjustContentStat(userId: string, stat: ContentStat, delta: number): Promise<void> {
    if (!Number.isInteger(delta) || delta === 0) return;
    await this.profiles.incrementContentStat(userId, stat, delta);
  }

  async getOwn(actor: Actor): Promise<OwnProfileView> {
    return toOwnView(await this.requireLive(actor.userId));
  }

  /** Applies the owner's edits; a taken username is 409 ALREADY_EXISTS. */
  async updateOwn(actor: Actor, input: UpdateProfileInput): Promise<OwnProfileView> {
    const before = await this.requireLive(actor.userId);
    const changes: ProfileChanges = { ...input, updatedAt: new Date() } as ProfileChanges;
    if (input.username !== undefined) changes.usernameLower = input.username.toLowerCase();
    // Turning public accepts the waiting requests: durable, and tried inline so the answer shows it.
    const turningPublic = before.privacy.isPrivate && input.privacy?.isPrivate === false;
    const entries = turningPublic ? [this.events.record("profile.became-public", { userId: actor.userId })] : [];
    const updated = await this.profiles.update(actor.userId, changes, entries);
    if (updated === "username_taken") throw new AppError("ALREADY_EXISTS", "That username is taken", { field: "username" });
    if (!updated) throw new AppError("PROFILE_NOT_FOUND", "Profile not found");
    if (updated.privacy.whoCanMessage !== before.privacy.whoCanMessage) await this.events.emit("profile.messaging-changed", { userId: actor.userId });
    if (AUDIENCES.indexOf(updated.privacy.lastSeenVisibility) > AUDIENCES.indexOf(before.privacy.lastSeenVisibility)) {
      await this.events.emit("profile.visibility-narrowed", { userId: actor.userId });
    }
    if (entries.length > 0) {
      await this.events.published({ collection: "profiles", filter: { userId: actor.userId } }, entries);
      return toOwnView(await this.requireLive(actor.userId));
    }
    return toOwnView(updated);
  }

  /** Another user's profile (or the viewer's own); blocked either way reads as absent. */
  async viewById(viewer: Actor | undefined, userId: string): Promise<ProfileView> {
    return this.view(viewer, await this.profiles.findByUserId(userId));
  }

  async viewByUsername(viewer: Actor | undefined, username: string): Promise<ProfileView> {
    return this.view(viewer, await this.profiles.findByUsername(username));
  }

  /** Profiles matching a query, hiding deleted ones and anyone blocked either way. */
  async search(viewer: Actor, input: SearchProfilesInput): Promise<ProfileCard[]> {
    const hidden = [...(await this.access.blockedSet(viewer.userId))];
    const found =
      input.mode === "prefix"
        ? await this.profiles.searchUsernamePrefix(input.q.replace(/^@/, "").toLowerCase(), hidden, input.limit)
        : await this.profiles.searchText(input.q, hidden, input.limit);
    return this.cards(viewer, found);
  }

  /** Admins grant or withdraw the verification badge. */
  async setVerification(actor: Actor, userId: string, verified: boolean): Promise<ProfileView> {
    if (!isAdmin(actor)) throw new AppError("FORBIDDEN", "Only administrators can verify profiles");
    const current = await this.requireLive(userId);
    // A moderation answer: the full view, whatever blocks stand between admin and user.
    if (current.verification.isVerified === verified) return toView(current, { full: true });
    const now = new Date();
    const updated = await this.profiles.update(userId, { verification: { isVerified: verified, verifiedAt: verified ? now : null }, updatedAt: now });
    if (!updated || updated === "username_taken") throw new AppError("PROFILE_NOT_FOUND", "Profile not found");
    return toView(updated, { full: true });
  }

  /**
   * Soft-deletes a user's profile (account deletion): it disappears everywhere
   * at once, and its follows go (so nobody's counters include it). Idempotent;
   * the monthly purge removes the document after the retention period.
   */
  async markDeleted(userId: string): Promise<boolean> {
    const entry = this.events.record("profile.deleted", { userId });
    const changed = await this.profiles.markDeleted(userId, new Date(), [entry]);
    if (changed) await this.events.published({ collection: "profiles", filter: { userId } }, [entry]);
    return changed;
  }

  /** Cards for a list, with the viewer's relationship to each; deleted and blocked profiles dropped. */
  async cards(viewer: Actor | undefined, profiles: readonly Profile[]): Promise<ProfileCard[]> {
    const live = profiles.filter((p) => !p.isDeleted);
    if (!viewer) return live.map((p) => toCard(p));
    const ids = live.map((p) => p.userId);
    const [blocked, following, followers] = await Promise.all([
      this.access.blockedAmong(viewer.userId, ids),
      this.follows.statusesFrom(viewer.userId, ids),
      this.follows.acceptedFollowersAmong(viewer.userId, ids),
    ]);
    return live
      .filter((p) => !blocked.has(p.userId))
      .map((p) =>
        p.userId === viewer.userId
          ? toCard(p)
          : toCard(p, { following: following.get(p.userId) ?? "none", followedBy: followers.has(p.userId) }),
      );
  }

  private async view(viewer: Actor | undefined, profile: Profile | null): Promise<ProfileView> {
    if (!profile || profile.isDeleted) throw new AppError("PROFILE_NOT_FOUND", "Profile not found");
    if (viewer?.userId === profile.userId) return toOwnView(profile);
    if (viewer && (await this.access.isBlockedEitherWay(viewer.userId, profile.userId))) {
      throw new AppError("PROFILE_NOT_FOUND", "Profile not found");
    }
    let relationship: Relationship | undefined;
    if (viewer) {
      const [mine, theirs] = await this.follows.findPair(viewer.userId, profile.userId);
      relationship = { following: mine?.status ?? "none", followedBy: theirs?.status === "accepted" };
    }
    const full = !profile.privacy.isPrivate || relationship?.following === "accepted" || isAdmin(viewer);
    return toView(profile, relationship ? { full, relationship } : { full });
  }

  private async requireLive(userId: string): Promise<Profile> {
    const profile = await this.profiles.findByUserId(userId);
    if (!profile || profile.isDeleted) throw new AppError("PROFILE_NOT_FOUND", "Profile not found");
    return profile;
  }
}

/** A display name fit to store: trimmed, control characters removed, bounded, never empty. */
function cleanDisplayName(raw: string, fallback: string | undefined): string {
  const cleaned = raw.replace(/[\p{Cc}\p{Cs}]+/gu, " ").replace(/\s+/g, " ").trim().slice(0, MAX_DISPLAY_NAME_LENGTH).trim();
  if (cleaned) return cleaned;
  return fallback?.trim().slice(0, MAX_DISPLAY_NAME_LENGTH) || "User";
}
