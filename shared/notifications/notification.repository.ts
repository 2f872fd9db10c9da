import type { Collection, Db, Filter } from "mongodb";
import { isDuplicateKeyError } from "../social/duplicate-key.js";
import type { NotificationDoc, NotificationType } from "./notification.types.js";

/** How many actors a group remembers (its count keeps counting past it). */
const ACTORS_KEPT = 1000;
/** How many actors a group shows. */
const LATEST_KEPT = 3;
/** How many applied event ids a group remembers for de-duplication. */
const SOURCES_KEPT = 200;

/** The order key of a notification: latest activity first, ties broken by id. */
export const sortKeyOf = (updatedAt: Date, id: string): string => `${updatedAt.getTime().toString().padStart(15, "0")}|${id}`;

/** A notification to fold into its group (or to create). */
export interface GroupWrite {
  id: string;
  recipientId: string;
  type: NotificationType;
  groupKey: string;
  actorId: string;
  eventId: string;
  /** "actor": the count is distinct actors (likes, follows); "event": every event counts (messages). */
  countBy: "actor" | "event";
  at: Date;
  fields: Pick<NotificationDoc, "target" | "link" | "data" | "expiresAt">;
}

export interface PageQuery {
  recipientId: string;
  type?: NotificationType | undefined;
  unreadOnly?: boolean | undefined;
  before?: string | undefined;
  limit: number;
}

/** The only code that touches `notifications`. Every query carries the recipient (the shard key). */
export class NotificationRepository {
  private readonly notifications: Collection<NotificationDoc>;

  constructor(db: Db) {
    this.notifications = db.collection<NotificationDoc>("notifications");
  }

  /**
   * Folds one event into its group, creating the group if needed; null when
   * the event was applied already (or, counting by actor, the actor is in the
   * group already). One command either way.
   */
  async applyToGroup(write: GroupWrite): Promise<NotificationDoc | null> {
    const filter: Filter<NotificationDoc> = { _id: write.id, recipientId: write.recipientId, sourceIds: { $ne: write.eventId } };
    if (write.countBy === "actor") filter.actorIds = { $ne: write.actorId };
    // Counting by event (messages), the same sender comes back: remembered once.
    try {
      return await this.notifications.findOneAndUpdate(
        filter,
        {
          $setOnInsert: { type: write.type, groupKey: write.groupKey, target: write.fields.target, createdAt: write.at, expiresAt: write.fields.expiresAt },
          // A group opens where its latest event points.
          $set: { link: write.fields.link, data: write.fields.data, updatedAt: write.at, read: false, sortKey: sortKeyOf(write.at, write.id) },
          $unset: { readAt: "" },
          $inc: { count: 1 },
          ...(write.countBy === "actor"
            ? {
                $push: {
                  actorIds: { $each: [write.actorId], $slice: -ACTORS_KEPT },
                  latestActorIds: { $each: [write.actorId], $slice: -LATEST_KEPT },
                  sourceIds: { $each: [write.eventId], $slice: -SOURCES_KEPT },
                },
              }
            : {
                $addToSet: { actorIds: write.actorId },
                $push: {
                  latestActorIds: { $each: [write.actorId], $slice: -LATEST_KEPT },
                  sourceIds: { $each: [write.eventId], $slice: -SOURCES_KEPT },
                },
              }),
        },
        { upsert: true, returnDocument: "after" },
      );
    } catch (error) {
      // The group exists and the filter's $ne excluded it: the event (or actor) is in already.
      if (isDuplicateKeyError(error)) return null;
      throw error;
    }
  }

  /** Inserts many ungrouped notifications at once (fan-out); duplicates (a retried batch) are skipped. Answers the ones inserted now. */
  async insertMany(docs: readonly NotificationDoc[]): Promise<NotificationDoc[]> {
    if (docs.length === 0) return [];
    try {
      await this.notifications.insertMany(docs as NotificationDoc[], { ordered: false });
      return [...docs];
    } catch (error) {
      const partial = error as { writeErrors?: Array<{ code?: number; index?: number }> | { code?: number; index?: number } };
      // The driver gives one error object for a single failure, an array for several.
      const writeErrors = partial.writeErrors === undefined ? [] : Array.isArray(partial.writeErrors) ? partial.writeErrors : [partial.writeErrors];
      if (writeErrors.length === 0 || !writeErrors.every((e) => e.code === 11000 && typeof e.index === "number")) throw error;
      const existing = new Set(writeErrors.map((e) => e.index));
      return docs.filter((_, index) => !existing.has(index));
    }
  }

  /**
   * Takes an actor out of the group that holds them (an unlike, an unfollow);
   * a group left empty is deleted. Returns the group as it now is, or null.
   */
  async removeActor(recipientId: string, groupKey: string, actorId: string): Promise<{ id: string; remaining: number } | null> {
    const doc = await this.notifications.findOneAndUpdate(
      { recipientId, groupKey, actorIds: actorId },
      { $pull: { actorIds: actorId, latestActorIds: actorId }, $inc: { count: -1 } },
      { sort: { updatedAt: -1 }, returnDocument: "after", projection: { _id: 1, count: 1 } },
    );
    if (!doc) return null;
    if (doc.count <= 0) await this.notifications.deleteOne({ _id: doc._id, recipientId, count: { $lte: 0 } });
    return { id: doc._id, remaining: Math.max(0, doc.count) };
  }

  async page(query: PageQuery): Promise<NotificationDoc[]> {
    const filter: Filter<NotificationDoc> = { recipientId: query.recipientId };
    if (query.type) filter.type = query.type;
    if (query.unreadOnly) filter.read = false;
    if (query.before) filter.sortKey = { $lt: query.before };
    return this.notifications.find(filter, { sort: { sortKey: -1 }, limit: query.limit }).toArray();
  }

  /** Unread groups of these recipients updated after `since` (the e-mail digest; one query per 1,000 users). */
  async unreadSince(recipientIds: readonly string[], since: Date): Promise<NotificationDoc[]> {
    if (recipientIds.length === 0) return [];
    return this.notifications
      .find({ recipientId: { $in: [...recipientIds] }, read: false, sortKey: { $gt: sortKeyOf(since, "") } }, { projection: { actorIds: 0, sourceIds: 0 } })
      .toArray();
  }

  async findMine(recipientId: string, id: string): Promise<NotificationDoc | null> {
    return this.notifications.findOne({ _id: id, recipientId });
  }

  /** Unread groups of a recipient. */
  async unreadCount(recipientId: string): Promise<number> {
    return this.notifications.countDocuments({ recipientId, read: false });
  }

  async markRead(recipientId: string, ids: readonly string[], at: Date): Promise<number> {
    const result = await this.notifications.updateMany({ recipientId, _id: { $in: [...ids] }, read: false }, { $set: { read: true, readAt: at } });
    return result.modifiedCount;
  }

  /** Marks every unread notification last updated at or before `upTo` read. */
  async markAllRead(recipientId: string, upTo: Date, at: Date): Promise<number> {
    const result = await this.notifications.updateMany(
      { recipientId, read: false, sortKey: { $lte: sortKeyOf(upTo, "\uffff") } },
      { $set: { read: true, readAt: at } },
    );
    return result.modifiedCount;
  }

  async delete(recipientId: string, id: string): Promise<boolean> {
    return (await this.notifications.deleteOne({ _id: id, recipientId })).deletedCount === 1;
  }

  /** Monthly compaction: read notifications not touched since `before` go (a deliberate scatter-gather). */
  async deleteReadBefore(before: Date): Promise<number> {
    const result = await this.notifications.deleteMany({ read: true, updatedAt: { $lt: before } }, { comment: "scatter-gather:notification-compaction" });
    return result.deletedCount;
  }

  /** Seed's monthly archive: notifications older than `before` expire now (the TTL index removes them). */
  async expireOlderThan(before: Date, now: Date): Promise<number> {
    const result = await this.notifications.updateMany(
      { read: { $in: [true, false] }, updatedAt: { $lt: before }, expiresAt: { $gt: now } },
      { $set: { expiresAt: now } },
      { comment: "scatter-gather:notification-archive" },
    );
    return result.modifiedCount;
  }
}
