import type { Collection, Db, Filter, UpdateFilter } from "mongodb";
import type { AnyOutboxEntry } from "../events/domain-events.js";
import { isDuplicateKeyError } from "../social/duplicate-key.js";
import type { ContentStat, PrivacySettings, Profile, ProfileAvatar, ProfileSummary } from "./profile.types.js";

const NO_ID = { _id: 0, outbox: 0 } as const;
const SUMMARY_FIELDS = { _id: 0, userId: 1, username: 1, displayName: 1, avatarUrl: 1, "verification.isVerified": 1 } as const;

const toSummary = (d: Pick<Profile, "userId" | "username" | "displayName" | "avatarUrl" | "verification">): ProfileSummary => ({
  userId: d.userId,
  username: d.username,
  displayName: d.displayName,
  avatarUrl: d.avatarUrl ?? null,
  isVerified: d.verification?.isVerified === true,
});

/** Result of an insert that may lose to a concurrent one or to a taken username. */
export type InsertOutcome = { inserted: true } | { inserted: false; reason: "user_exists" | "username_taken" };

/** The fields a profile update may set (never counters, never identity). */
export type ProfileChanges = Partial<
  Pick<Profile, "username" | "usernameLower" | "displayName" | "bio" | "socialLinks" | "updatedAt">
> & { privacy?: Partial<PrivacySettings>; notificationPreferences?: Partial<Record<string, boolean>>; verification?: Profile["verification"] };

/** Only code that touches the `profiles` collection. Every query is served by an index of `profilesCollection`. */
export class ProfileRepository {
  private readonly profiles: Collection<Profile>;

  constructor(db: Db) {
    this.profiles = db.collection<Profile>("profiles");
  }

  /** Inserts a new profile; reports (instead of throwing) a user that already has one or a taken username. */
  async insert(profile: Profile): Promise<InsertOutcome> {
    try {
      await this.profiles.insertOne({ ...profile });
      return { inserted: true };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const existing = await this.profiles.findOne({ userId: profile.userId }, { projection: { _id: 1 } });
      return { inserted: false, reason: existing ? "user_exists" : "username_taken" };
    }
  }

  async findByUserId(userId: string): Promise<Profile | null> {
    return this.profiles.findOne({ userId }, { projection: NO_ID });
  }

  async findByUsername(username: string): Promise<Profile | null> {
    return this.profiles.findOne({ usernameLower: username.toLowerCase() }, { projection: NO_ID });
  }

  async usernameTaken(usernameLower: string): Promise<boolean> {
    return (await this.profiles.findOne({ usernameLower }, { projection: { _id: 1 } })) !== null;
  }

  /** Live (not deleted) profiles among `userIds`, as summaries. */
  async findSummaries(userIds: readonly string[]): Promise<ProfileSummary[]> {
    if (userIds.length === 0) return [];
    const docs = await this.profiles
      .find({ userId: { $in: [...new Set(userIds)] }, isDeleted: false }, { projection: SUMMARY_FIELDS })
      .toArray();
    return docs.map(toSummary);
  }

  /**
   * Live profiles among `userIds` as summaries with their accounts' privacy flag: what a
   * list of posts needs to show its authors and decide who sees what, in one query.
   */
  async findCards(userIds: readonly string[]): Promise<Array<ProfileSummary & { isPrivate: boolean }>> {
    if (userIds.length === 0) return [];
    const docs = await this.profiles
      .find({ userId: { $in: [...new Set(userIds)] }, isDeleted: false }, { projection: { ...SUMMARY_FIELDS, "privacy.isPrivate": 1 } })
      .toArray();
    return docs.map((d) => ({ ...toSummary(d), isPrivate: d.privacy?.isPrivate ?? true }));
  }

  /** Live profiles among `userIds`, whole. */
  async findMany(userIds: readonly string[]): Promise<Profile[]> {
    if (userIds.length === 0) return [];
    return this.profiles.find({ userId: { $in: [...new Set(userIds)] }, isDeleted: false }, { projection: NO_ID }).toArray();
  }

  /** Privacy settings and deletion flag: what access decisions need. */
  async findPrivacy(userId: string): Promise<{ privacy: PrivacySettings; isDeleted: boolean } | null> {
    return this.profiles.findOne<{ privacy: PrivacySettings; isDeleted: boolean }>(
      { userId },
      { projection: { _id: 0, privacy: 1, isDeleted: 1 } },
    );
  }

  /**
   * Applies changes to a live profile and returns it as updated, or null when
   * there is none; a taken username surfaces as `"username_taken"`.
   */
  async update(userId: string, changes: ProfileChanges, outbox: AnyOutboxEntry[] = []): Promise<Profile | null | "username_taken"> {
    const set: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) continue;
      if ((key === "privacy" || key === "notificationPreferences") && value !== null && typeof value === "object") {
        // Merge per field so a partial update never wipes the other settings.
        for (const [sub, subValue] of Object.entries(value)) if (subValue !== undefined) set[`${key}.${sub}`] = subValue;
      } else {
        set[key] = value;
      }
    }
    try {
      return await this.profiles.findOneAndUpdate(
        { userId, isDeleted: false },
        outbox.length > 0 ? { $set: set, $push: { outbox: { $each: outbox } } } : { $set: set },
        { returnDocument: "after", projection: NO_ID },
      );
    } catch (error) {
      if (isDuplicateKeyError(error)) return "username_taken";
      throw error;
    }
  }

  /**
   * Sets or clears the avatar if it is still `expectedMediaId` (null: none),
   * with the outbox entries of the write; null when it changed meanwhile (or
   * the profile is gone).
   */
  async replaceAvatar(userId: string, expectedMediaId: string | null, avatar: ProfileAvatar | null, outbox: AnyOutboxEntry[]): Promise<Profile | null> {
    const update: UpdateFilter<Profile> = { $set: { avatar, avatarUrl: avatar?.url ?? null, updatedAt: new Date() } };
    if (outbox.length > 0) update.$push = { outbox: { $each: outbox } } as never;
    return this.profiles.findOneAndUpdate({ userId, isDeleted: false, "avatar.mediaId": expectedMediaId } as Filter<Profile>, update, { returnDocument: "after", projection: NO_ID });
  }

  /** Moves follower/following counters; callers pass deltas derived from real state changes only. */
  async incrementSocialStats(userId: string, delta: { followersCount?: number; followingCount?: number }): Promise<void> {
    const inc: Record<string, number> = {};
    if (delta.followersCount) inc["stats.followersCount"] = delta.followersCount;
    if (delta.followingCount) inc["stats.followingCount"] = delta.followingCount;
    if (Object.keys(inc).length === 0) return;
    await this.profiles.updateOne({ userId }, { $inc: inc });
  }

  /** Moves a content counter (posts, videos, views); never below zero. */
  async incrementContentStat(userId: string, stat: ContentStat, delta: number): Promise<boolean> {
    const field = `stats.${stat}`;
    const filter: Filter<Profile> = delta < 0 ? { userId, [field]: { $gte: -delta } } : { userId };
    const result = await this.profiles.updateOne(filter, { $inc: { [field]: delta } });
    return result.modifiedCount === 1;
  }

  /** Overwrites follower/following counters with recounted values (repair). */
  async setSocialStats(userId: string, stats: { followersCount: number; followingCount: number }): Promise<boolean> {
    const result = await this.profiles.updateOne(
      { userId },
      { $set: { "stats.followersCount": stats.followersCount, "stats.followingCount": stats.followingCount } },
    );
    return result.modifiedCount === 1;
  }

  /** Full-text search over username, display name and bio, best matches first. */
  async searchText(query: string, excludeUserIds: readonly string[], limit: number): Promise<Profile[]> {
    return this.profiles
      .find(
        { $text: { $search: query }, isDeleted: false, userId: { $nin: [...excludeUserIds] } },
        { projection: { ...NO_ID, score: { $meta: "textScore" } }, sort: { score: { $meta: "textScore" } }, limit },
      )
      .toArray();
  }

  /** Usernames starting with `prefix` (lower case), alphabetically. */
  async searchUsernamePrefix(prefix: string, excludeUserIds: readonly string[], limit: number): Promise<Profile[]> {
    const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return this.profiles
      .find(
        { usernameLower: { $regex: `^${escaped}` }, isDeleted: false, userId: { $nin: [...excludeUserIds] } },
        { projection: NO_ID, sort: { usernameLower: 1 }, limit },
      )
      .toArray();
  }

  /** Soft-deletes a profile; true when it was live. */
  async markDeleted(userId: string, at: Date, outbox: AnyOutboxEntry[] = []): Promise<boolean> {
    const result = await this.profiles.updateOne(
      { userId, isDeleted: false },
      { $set: { isDeleted: true, deletedAt: at, updatedAt: at }, ...(outbox.length > 0 ? { $push: { outbox: { $each: outbox } } } : {}) },
    );
    return result.modifiedCount === 1;
  }

  /** Records events on the profile document alone (announcing a write elsewhere that removes its own document). */
  async appendOutbox(userId: string, outbox: AnyOutboxEntry[]): Promise<void> {
    await this.profiles.updateOne({ userId }, { $push: { outbox: { $each: outbox } } });
  }

  /** User ids of profiles soft-deleted before `before`, oldest first. */
  async findDeletedBefore(before: Date, limit: number): Promise<string[]> {
    const docs = await this.profiles
      .find({ isDeleted: true, deletedAt: { $lt: before } }, { projection: { _id: 0, userId: 1 }, sort: { deletedAt: 1 }, limit })
      .toArray();
    return docs.map((d) => d.userId);
  }

  async deleteByUserId(userId: string): Promise<boolean> {
    return (await this.profiles.deleteOne({ userId, isDeleted: true })).deletedCount === 1;
  }

  /** A page of live user ids after `afterUserId`, in id order (for batch repair jobs). */
  async userIdsAfter(afterUserId: string, limit: number): Promise<string[]> {
    const docs = await this.profiles
      .find({ userId: { $gt: afterUserId } }, { projection: { _id: 0, userId: 1 }, sort: { userId: 1 }, limit })
      .toArray();
    return docs.map((d) => d.userId);
  }
}
