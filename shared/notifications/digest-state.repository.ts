import type { Collection, Db } from "mongodb";
import { isDuplicateKeyError } from "../social/duplicate-key.js";

export interface DigestStateDoc {
  /** The user id. */
  _id: string;
  /** The period (UTC day, `YYYY-MM-DD`) of the last digest sent. */
  lastPeriod: string;
  /** When it was sent: the next digest covers what happened after. */
  lastSentAt: Date;
}

/**
 * The only code that touches `notificationDigests`: one document per user
 * who was ever sent a digest. Claiming a period is one conditional upsert, so
 * two runs of the same period (a retry, two workers) send one digest.
 */
export class DigestStateRepository {
  private readonly states: Collection<DigestStateDoc>;

  constructor(db: Db) {
    this.states = db.collection<DigestStateDoc>("notificationDigests");
  }

  /** When each user's last digest went out (users never sent one are missing). */
  async lastSent(userIds: readonly string[]): Promise<Map<string, Date>> {
    if (userIds.length === 0) return new Map();
    const docs = await this.states.find({ _id: { $in: [...userIds] } }).toArray();
    return new Map(docs.map((doc) => [doc._id, doc.lastSentAt]));
  }

  /**
   * Claims `period` for the user; false when its digest was claimed already.
   * Answers the state it replaced, for `release` should the send fail.
   */
  async claim(userId: string, period: string, at: Date): Promise<{ claimed: false } | { claimed: true; previous: DigestStateDoc | null }> {
    try {
      const previous = await this.states.findOneAndUpdate(
        { _id: userId, lastPeriod: { $ne: period } },
        { $set: { lastPeriod: period, lastSentAt: at } },
        { upsert: true, returnDocument: "before" },
      );
      return { claimed: true, previous };
    } catch (error) {
      // The document exists with this period: the filter excluded it and the upsert collided.
      if (isDuplicateKeyError(error)) return { claimed: false };
      throw error;
    }
  }

  /** Gives a claim back after a failed send, so a retry sends the digest. */
  async release(userId: string, period: string, previous: DigestStateDoc | null): Promise<void> {
    if (previous) await this.states.updateOne({ _id: userId, lastPeriod: period }, { $set: { lastPeriod: previous.lastPeriod, lastSentAt: previous.lastSentAt } });
    else await this.states.deleteOne({ _id: userId, lastPeriod: period });
  }
}
