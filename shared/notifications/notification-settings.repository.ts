import type { Collection, Db } from "mongodb";
import type { ChannelPreference, NotificationType } from "./notification.types.js";

interface SettingsDoc {
  _id: string;
  channels: Partial<Record<NotificationType, Partial<Omit<ChannelPreference, "inApp">>>>;
  mutedPosts: string[];
  updatedAt: Date;
}

export type StoredChannels = SettingsDoc["channels"];

/** The only code that touches `notificationSettings` (one document per user, keyed by the user id). */
export class NotificationSettingsRepository {
  private readonly settings: Collection<SettingsDoc>;

  constructor(db: Db) {
    this.settings = db.collection<SettingsDoc>("notificationSettings");
  }

  async get(userId: string): Promise<{ channels: StoredChannels; mutedPosts: string[] }> {
    const doc = await this.settings.findOne({ _id: userId });
    return { channels: doc?.channels ?? {}, mutedPosts: doc?.mutedPosts ?? [] };
  }

  /** Several users' settings in one query (fan-out). */
  async getMany(userIds: readonly string[]): Promise<Map<string, { channels: StoredChannels; mutedPosts: string[] }>> {
    if (userIds.length === 0) return new Map();
    const docs = await this.settings.find({ _id: { $in: [...userIds] } }).toArray();
    return new Map(docs.map((d) => [d._id, { channels: d.channels, mutedPosts: d.mutedPosts }]));
  }

  /** Sets channel switches per type (only the fields given). */
  async setChannels(userId: string, changes: StoredChannels, at: Date): Promise<void> {
    const set: Record<string, unknown> = { updatedAt: at };
    for (const [type, fields] of Object.entries(changes)) {
      for (const [field, value] of Object.entries(fields ?? {})) if (value !== undefined) set[`channels.${type}.${field}`] = value;
    }
    await this.settings.updateOne({ _id: userId }, { $set: set, $setOnInsert: { mutedPosts: [] } }, { upsert: true });
  }

  async mutePost(userId: string, postId: string, muted: boolean, at: Date): Promise<void> {
    await this.settings.updateOne(
      { _id: userId },
      muted
        ? { $addToSet: { mutedPosts: postId }, $set: { updatedAt: at }, $setOnInsert: { channels: {} } }
        : { $pull: { mutedPosts: postId }, $set: { updatedAt: at }, $setOnInsert: { channels: {} } },
      { upsert: true },
    );
  }
}
