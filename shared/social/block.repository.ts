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

/** Only code that touches `blockedUsers`. */
export class BlockRepository {
  private readonly blocks: Collection<BlockDoc>;

  constructor(db: Db) {
    this.blocks = db.collection<BlockDoc>("blockedUsers");
  }

  /** Records the block; false when it already existed. */
  async insert(blockerId: string, blockedId: string, at: Date, outbox: AnyOutboxEntry[] = []): Promise<boolean> {
    try {
      await this.blocks.insertOne({ blockerId, blockedId, createdAt: at, ...(outbox.length > 0 ? { outbox } : {}) });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /** Removes the block; true when there was one. */
  async remove(blockerId: string, blockedId: string): Promise<boolean> {
    return (await this.blocks.deleteOne({ blockerId, blockedId })).deletedCount === 1;
  }

  /** Which way, if any, two users block each other — read from the store, never a cache. */
  async between(a: string, b: string): Promise<{ aBlockedB: boolean; bBlockedA: boolean }> {
    const docs = await this.blocks
      .find({ $or: [{ blockerId: a, blockedId: b }, { blockerId: b, blockedId: a }] }, { projection: { _id: 0, blockerId: 1 } })
      .toArray();
    return { aBlockedB: docs.some((d) => d.blockerId === a), bBlockedA: docs.some((d) => d.blockerId === b) };
  }

  /** Every user `userId` blocked or is blocked by. */
  async blockedEitherWay(userId: string): Promise<string[]> {
    const [mine, theirs] = await Promise.all([
      this.blocks.find({ blockerId: userId }, { projection: { _id: 0, blockedId: 1 } }).toArray(),
      this.blocks.find({ blockedId: userId }, { projection: { _id: 0, blockerId: 1 } }).toArray(),
    ]);
    return [...new Set([...mine.map((d) => d.blockedId), ...theirs.map((d) => d.blockerId)])];
  }

  /** Deletes every block `userId` made or received; returns the other users involved. */
  async removeAllOf(userId: string): Promise<string[]> {
    const others = await this.blockedEitherWay(userId);
    await this.blocks.deleteMany({ blockerId: userId });
    await this.blocks.deleteMany({ blockedId: userId });
    return others;
  }

  /** A page of the users `blockerId` blocked, newest first. */
  async pageByBlocker(blockerId: string, afterId: string | undefined, limit: number): Promise<BlockRecord[]> {
    const filter: Filter<BlockDoc> = afterId ? { blockerId, _id: { $lt: new ObjectId(afterId) } } : { blockerId };
    const docs = await this.blocks.find(filter, { sort: { _id: -1 }, limit }).toArray();
    return docs.map((d) => ({ id: d._id.toHexString(), blockerId: d.blockerId, blockedId: d.blockedId, createdAt: d.createdAt }));
  }
}
