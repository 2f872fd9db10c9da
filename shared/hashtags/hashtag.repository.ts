import type { AnyBulkWriteOperation, Collection, Db } from "mongodb";

export interface HashtagDoc {
  _id: string;
  firstSeenAt: Date;
  lastUsedAt: Date;
  /** Set by the weekly maintenance: the tag's day counters are recounted from the posts. */
  needsRecalculation: boolean;
  trendScore?: number;
  usesToday?: number;
  accountsToday?: number;
  trendUpdatedAt?: Date;
}

/** The only code that touches `hashtags` (the seed's trending-hashtag collection). */
export class HashtagRepository {
  private readonly hashtags: Collection<HashtagDoc>;

  constructor(db: Db) {
    this.hashtags = db.collection<HashtagDoc>("hashtags");
  }

  /** Records use of tags (idempotent: first-seen is set once, last-used only moves forward). */
  async touch(tags: readonly string[], at: Date): Promise<void> {
    if (tags.length === 0) return;
    await this.hashtags.bulkWrite(
      tags.map((tag) => ({
        updateOne: {
          filter: { _id: tag },
          update: { $setOnInsert: { firstSeenAt: at, needsRecalculation: false }, $max: { lastUsedAt: at } },
          upsert: true,
        },
      })),
      { ordered: false },
    );
  }

  /** Flags every tag for the full recalculation (the seed's weekly `needsRecalculation`). */
  async flagAll(): Promise<number> {
    return (await this.hashtags.updateMany({ needsRecalculation: false }, { $set: { needsRecalculation: true } })).modifiedCount;
  }

  async flagged(limit: number): Promise<string[]> {
    const docs = await this.hashtags.find({ needsRecalculation: true }, { projection: { _id: 1 }, sort: { needsRecalculation: 1, _id: 1 }, limit }).toArray();
    return docs.map((d) => d._id);
  }

  async clearFlag(tag: string): Promise<void> {
    await this.hashtags.updateOne({ _id: tag }, { $set: { needsRecalculation: false } });
  }

  /** Stores the latest trend figures of the ranked tags and zeroes the ones that left the ranking. */
  async saveTrends(ranked: ReadonlyArray<{ tag: string; score: number; uses: number; accounts: number }>, at: Date): Promise<void> {
    const ops: AnyBulkWriteOperation<HashtagDoc>[] = ranked.map((r) => ({
      updateOne: { filter: { _id: r.tag }, update: { $set: { trendScore: r.score, usesToday: r.uses, accountsToday: r.accounts, trendUpdatedAt: at } } },
    }));
    if (ops.length > 0) await this.hashtags.bulkWrite(ops, { ordered: false });
    await this.hashtags.updateMany({ trendScore: { $gt: 0 }, _id: { $nin: ranked.map((r) => r.tag) } }, { $set: { trendScore: 0, trendUpdatedAt: at } });
  }
}
