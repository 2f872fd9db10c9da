import { ObjectId, type Collection, type Db, type Filter } from "mongodb";
import type { AnyOutboxEntry } from "../events/domain-events.js";
import { isDuplicateKeyError } from "./duplicate-key.js";
import type { BlockRecord } from "./follow.types.js";

interface BlockDoc {
  blockerId: string;
  blockedId: string;
  createdAt: Date;
  outbox?: AnyOutboxEntry[];
}

interface MirrorDoc {
  blockedId: string;
  blockerId: string;
  createdAt: Date;
}

/** Marks the mirror repair's full walk of `blockedUsers` as a deliberate scatter-gather (strict shard-key mode). */
const REPAIR_SCAN = "scatter-gather: blocks.mirror-repair walks every block in _id order, weekly, off the request path";

/**
 * Only code that touches `blockedUsers` and its mirror `blockedBy`. A block is
 * the `blockedUsers` document (sharded by blocker: my blocks, the unique pair);
 * its mirror is keyed by the blocked user, so "who blocked me" names its shard
 * key too. The mirror is written after the block and removed after the
 * unblock, both idempotently, so a retried call repairs a crash in between.
 */
export class BlockRepository {
  private readonly blocks: Collection<BlockDoc>;
  private readonly mirror: Collection<MirrorDoc>;

  constructor(db: Db) {
    this.blocks = db.collection<BlockDoc>("blockedUsers");
    this.mirror = db.collection<MirrorDoc>("blockedBy");
  }

  /** Records the block and its mirror; false when the block already existed (its mirror is still ensured). */
  async insert(blockerId: string, blockedId: string, at: Date, outbox: AnyOutboxEntry[] = []): Promise<boolean> {
    let inserted = true;
    try {
      await this.blocks.insertOne({ blockerId, blockedId, createdAt: at, ...(outbox.length > 0 ? { outbox } : {}) });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      inserted = false;
    }
    await this.writeMirror(blockedId, blockerId, at);
    return inserted;
  }

  /** Removes the block, then its mirror; true when there was a block. */
  async remove(blockerId: string, blockedId: string): Promise<boolean> {
    const removed = (await this.blocks.deleteOne({ blockerId, blockedId })).deletedCount === 1;
    await this.mirror.deleteOne({ blockedId, blockerId });
    return removed;
  }

  /** Which way, if any, two users block each other — read from the store, never a cache. */
  async between(a: string, b: string): Promise<{ aBlockedB: boolean; bBlockedA: boolean }> {
    const docs = await this.blocks
      .find({ $or: [{ blockerId: a, blockedId: b }, { blockerId: b, blockedId: a }] }, { projection: { _id: 0, blockerId: 1 } })
      .toArray();
    return { aBlockedB: docs.some((d) => d.blockerId === a), bBlockedA: docs.some((d) => d.blockerId === b) };
  }

  /** Every user `userId` blocked or is blocked by: one read on each collection's shard key. */
  async blockedEitherWay(userId: string): Promise<string[]> {
    const { blocked, blockedBy } = await this.halves(userId);
    return [...new Set([...blocked, ...blockedBy])];
  }

  /** Deletes every block `userId` made or received, with their mirrors; returns the other users involved. */
  async removeAllOf(userId: string): Promise<string[]> {
    const { blocked, blockedBy } = await this.halves(userId);
    await this.blocks.deleteMany({ blockerId: userId });
    if (blockedBy.length > 0) await this.blocks.deleteMany({ blockerId: { $in: blockedBy }, blockedId: userId });
    if (blocked.length > 0) await this.mirror.deleteMany({ blockedId: { $in: blocked }, blockerId: userId });
    await this.mirror.deleteMany({ blockedId: userId });
    return [...new Set([...blocked, ...blockedBy])];
  }

  /**
   * Makes the mirror match the blocks, `batch` blocks at a time: writes the
   * mirrors that are missing (blocks made before the mirror existed, or a
   * crash between the two writes) and drops mirrors whose block is gone.
   */
  async repairMirror(batch: number): Promise<{ written: number; orphans: number }> {
    let written = 0;
    let orphans = 0;
    let after: ObjectId | undefined;
    for (;;) {
      const page = await this.blocks
        .find(after ? { _id: { $gt: after } } : {}, { projection: { blockerId: 1, blockedId: 1, createdAt: 1 }, sort: { _id: 1 }, limit: batch, comment: REPAIR_SCAN })
        .toArray();
      if (page.length === 0) break;
      const result = await this.mirror.bulkWrite(
        page.map((d) => ({ updateOne: { filter: { blockedId: d.blockedId, blockerId: d.blockerId }, update: { $setOnInsert: { createdAt: d.createdAt } }, upsert: true } })),
        { ordered: false },
      );
      written += result.upsertedCount;
      after = page[page.length - 1]!._id;
      if (page.length < batch) break;
    }
    let afterMirror: ObjectId | undefined;
    for (;;) {
      const page = await this.mirror
        .find(afterMirror ? { _id: { $gt: afterMirror } } : {}, { projection: { blockerId: 1, blockedId: 1 }, sort: { _id: 1 }, limit: batch, comment: REPAIR_SCAN })
        .toArray();
      if (page.length === 0) break;
      for (const m of page) {
        if (await this.blocks.findOne({ blockerId: m.blockerId, blockedId: m.blockedId }, { projection: { _id: 1 } })) continue;
        orphans += (await this.mirror.deleteOne({ blockedId: m.blockedId, blockerId: m.blockerId })).deletedCount;
      }
      afterMirror = page[page.length - 1]!._id;
      if (page.length < batch) break;
    }
    return { written, orphans };
  }

  /** The users `userId` blocked (from the blocks, by blocker) and those who blocked it (from the mirror, by blocked). */
  private async halves(userId: string): Promise<{ blocked: string[]; blockedBy: string[] }> {
    const [mine, theirs] = await Promise.all([
      this.blocks.find({ blockerId: userId }, { projection: { _id: 0, blockedId: 1 } }).toArray(),
      this.mirror.find({ blockedId: userId }, { projection: { _id: 0, blockerId: 1 } }).toArray(),
    ]);
    return { blocked: mine.map((d) => d.blockedId), blockedBy: theirs.map((d) => d.blockerId) };
  }

  private async writeMirror(blockedId: string, blockerId: string, at: Date): Promise<void> {
    try {
      await this.mirror.updateOne({ blockedId, blockerId }, { $setOnInsert: { createdAt: at } }, { upsert: true });
    } catch (error) {
      // Two racing upserts of one pair: the other one wrote it.
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /** A page of the users `blockerId` blocked, newest first. */
  async pageByBlocker(blockerId: string, afterId: string | undefined, limit: number): Promise<BlockRecord[]> {
    const filter: Filter<BlockDoc> = afterId ? { blockerId, _id: { $lt: new ObjectId(afterId) } } : { blockerId };
    const docs = await this.blocks.find(filter, { sort: { _id: -1 }, limit }).toArray();
    return docs.map((d) => ({ id: d._id.toHexString(), blockerId: d.blockerId, blockedId: d.blockedId, createdAt: d.createdAt }));
  }
}
