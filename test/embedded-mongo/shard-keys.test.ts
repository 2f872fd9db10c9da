import assert from 'node:assert/strict';
import type { Document } from 'mongodb';
import { rejection, upd, usingEmbedded, useMongo, type MongoHarness } from './mongo-harness.js';

/**
 * The embedded server's shard-key mode (docs/embedded-mongo.md). `shardCollection` is
 * mongos' command (https://www.mongodb.com/docs/manual/reference/command/shardCollection/);
 * targeting follows how mongos routes by shard-key prefix
 * (https://www.mongodb.com/docs/manual/core/sharded-cluster-query-router/#targeted-operations-vs.-broadcast-operations).
 */
const isCode = (code: number) => (err: { code?: number }) => err.code === code;

async function shard(h: MongoHarness, coll: string, key: Document): Promise<Document> {
  return h.client.db('admin').command({ shardCollection: `${h.db.databaseName}.${coll}`, key });
}

async function status(h: MongoHarness, reset = false): Promise<Document> {
  return h.client.db('admin').command({ embeddedShardingStatus: 1, reset });
}

(usingEmbedded ? describe : describe.skip)('embedded mongo: shard-key mode', () => {
  describe('strict', () => {
    const h = useMongo('shardstrict', { shardKeyMode: 'strict' });

    before(async () => {
      await h.client.db('admin').command({ enableSharding: h.db.databaseName });
      await shard(h, 'posts', { userId: 1 });
      await shard(h, 'messages', { conversationId: 1, seq: 1 });
      await shard(h, 'notes', { userId: 'hashed' });
      await h.coll('posts').createIndex({ createdAt: 1 });
      await h.coll('posts').insertMany([
        { _id: 1, userId: 'u1', createdAt: 1 }, { _id: 2, userId: 'u1', createdAt: 2 }, { _id: 3, userId: 'u2', createdAt: 3 },
      ]);
      await h.coll('messages').insertMany([{ _id: 1, conversationId: 'c1', seq: 1 }, { _id: 2, conversationId: 'c1', seq: 2 }]);
      await h.coll('notes').insertMany([{ _id: 1, userId: 'u1' }, { _id: 2, userId: 'u2' }]);
    });

    it('shardCollection records the key and builds its index; enableSharding acknowledges (manual: shardCollection)', async () => {
      assert.deepEqual(await shard(h, 'posts', { userId: 1 }), { collectionsharded: `${h.db.databaseName}.posts`, ok: 1 });
      const names = (await h.coll('notes').listIndexes().toArray()).map((i) => i.name);
      assert.deepEqual(names, ['_id_', 'userId_hashed']);
      await assert.rejects(shard(h, 'posts', { authorId: 1 }), isCode(23));
      await assert.rejects(shard(h, 'other', { a: -1 }), isCode(2));
      await assert.rejects(h.db.command({ shardCollection: `${h.db.databaseName}.x`, key: { a: 1 } }), isCode(13));
      await assert.rejects(h.client.db('admin').command({ shardCollection: 'nodot', key: { a: 1 } }), isCode(73));
      await assert.rejects(shard(h, 'other', { a: 'hashed', b: 'hashed' }), isCode(2));
      await assert.rejects(h.client.db('admin').command({ shardCollection: `${h.db.databaseName}.other`, key: { a: 'hashed' }, unique: true }), isCode(72));
      await assert.rejects(h.client.db('admin').command({ shardCollection: `${h.db.databaseName}.other` }), isCode(2));
      await h.coll('unindexed').insertOne({ a: 1 });
      await assert.rejects(shard(h, 'unindexed', { a: 1 }), isCode(72));
    });

    it('accepts filters that target the key: equality, $in, a range on a ranged key, a compound key prefix, $or of targeted branches', async () => {
      await status(h, true);
      assert.equal((await h.coll('posts').find({ userId: 'u1' }).toArray()).length, 2);
      assert.equal((await h.coll('posts').find({ userId: { $in: ['u1', 'u2'] }, createdAt: { $gt: 1 } }).toArray()).length, 2);
      assert.equal((await h.coll('posts').find({ userId: { $gte: 'u2' } }).toArray()).length, 1);
      assert.equal((await h.coll('messages').find({ conversationId: 'c1' }).sort({ seq: -1 }).toArray()).length, 2);
      assert.equal((await h.coll('messages').find({ $and: [{ conversationId: 'c1' }, { seq: { $gt: 1 } }] }).toArray()).length, 1);
      assert.equal((await h.coll('posts').find({ $or: [{ userId: 'u1', createdAt: 1 }, { userId: 'u2' }] }).toArray()).length, 2);
      assert.equal((await h.coll('notes').find({ userId: { $in: ['u1'] } }).toArray()).length, 1);
      assert.equal(await h.coll('posts').countDocuments({ userId: 'u1' }), 2);
      assert.deepEqual(await h.coll('posts').distinct('createdAt', { userId: 'u1' }), [1, 2]);
      assert.equal((await status(h)).targeted, 9);
    });

    it('refuses untargeted reads with ShardKeyNotFound 61: other fields, a later compound field, a hashed range, an untargeted $or branch', async () => {
      const before = (await status(h)).refused;
      const err = await rejection(() => h.coll('posts').find({ createdAt: 1 }).toArray());
      assert.equal(err.code, 61);
      assert.match(err.message, /does not target the shard key \{ userId: 1 \}.*scatter-gather/);
      await assert.rejects(h.coll('messages').find({ seq: 1 }).toArray(), isCode(61));
      await assert.rejects(h.coll('notes').find({ userId: { $gt: 'u1' } }).toArray(), isCode(61));
      await assert.rejects(h.coll('posts').find({ $or: [{ userId: 'u1' }, { createdAt: 3 }] }).toArray(), isCode(61));
      await assert.rejects(h.coll('posts').countDocuments({ createdAt: 1 }), isCode(61));
      await assert.rejects(h.coll('posts').estimatedDocumentCount(), isCode(61));
      await assert.rejects(h.coll('posts').distinct('userId', {}), isCode(61));
      await assert.rejects(h.coll('posts').aggregate([{ $sort: { createdAt: 1 } }]).toArray(), isCode(61));
      assert.equal((await status(h)).refused - before, 8);
    });

    it('refuses untargeted updates, deletes and findAndModify, and changes nothing', async () => {
      await assert.rejects(h.coll('posts').updateOne({ _id: 1 }, { $set: { x: 1 } }), isCode(61));
      await assert.rejects(h.coll('posts').updateMany({ createdAt: { $gt: 0 } }, { $set: { x: 1 } }), isCode(61));
      await assert.rejects(h.coll('posts').deleteOne({ _id: 1 }), isCode(61));
      await assert.rejects(h.coll('posts').findOneAndUpdate({ createdAt: 1 }, { $set: { x: 1 } }), isCode(61));
      await assert.rejects(h.coll('posts').findOneAndDelete({ createdAt: 1 }), isCode(61));
      assert.equal(await h.coll('posts').countDocuments({ userId: { $in: ['u1', 'u2'] }, x: { $exists: true } }), 0);
      const res = await h.coll('posts').updateOne({ userId: 'u1', _id: 1 }, { $set: { x: 1 } });
      assert.equal(res.modifiedCount, 1);
      assert.equal((await h.coll('posts').findOneAndDelete({ userId: 'u2', _id: 3 }))?._id, 3);
      await h.coll('posts').insertOne({ _id: 3, userId: 'u2', createdAt: 3 });
    });

    it('an insert must hold the shard key (not as an array); an update may not change it; an upsert needs key equality', async () => {
      await assert.rejects(h.coll('posts').insertOne({ _id: 9, createdAt: 9 }), isCode(61));
      await assert.rejects(h.coll('posts').insertOne({ _id: 9, userId: ['u1', 'u2'] }), isCode(61));
      await assert.rejects(h.coll('messages').insertOne({ _id: 9, conversationId: 'c1' }), isCode(61));
      const changed = await rejection(() => h.coll('posts').updateOne({ userId: 'u1', _id: 2 }, { $set: { userId: 'u3' } }));
      assert.equal(changed.code, 66);
      // Dropping the key is changing it too.
      await assert.rejects(h.coll('posts').replaceOne({ userId: 'u1', _id: 2 }, { createdAt: 2 }), isCode(66));
      await assert.rejects(h.coll('posts').updateOne({ userId: 'u1', _id: 2 }, upd([{ $unset: 'userId' }])), isCode(66));
      assert.equal((await h.coll('posts').findOne({ userId: 'u1', _id: 2 }))?.userId, 'u1');
      await assert.rejects(h.coll('posts').updateOne({ userId: { $in: ['u7', 'u8'] } }, { $set: { x: 1 } }, { upsert: true }), isCode(61));
      const up = await h.coll('posts').updateOne({ userId: 'u7', createdAt: 7 }, { $set: { x: 1 } }, { upsert: true });
      assert.equal(up.upsertedCount, 1);
      await h.coll('posts').deleteOne({ userId: 'u7' });
    });

    it('a comment "scatter-gather:<reason>" lets a deliberate scatter-gather through and lists it in the counters', async () => {
      await status(h, true);
      const comment = 'scatter-gather:admin report of recent posts';
      assert.equal((await h.coll('posts').find({ createdAt: { $gte: 1 } }, { comment }).toArray()).length, 3);
      assert.equal(await h.coll('posts').countDocuments({ createdAt: { $gte: 1 } }, { comment }), 3);
      await h.coll('posts').updateMany({ createdAt: { $gte: 100 } }, { $set: { y: 1 } }, { comment: 'scatter-gather:maintenance' });
      await assert.rejects(h.coll('posts').find({ createdAt: 1 }, { comment: 'scatter-gather:' }).toArray(), isCode(61));
      const s = await status(h);
      assert.equal(s.mode, 'strict');
      assert.equal(s.shardedCollections, 3);
      assert.equal(s.allowedScatterGather, 3);
      assert.equal(s.refused, 1);
      const ns = `${h.db.databaseName}.posts`;
      assert.deepEqual(s.scatterGathers, [
        { ns, op: 'find', reason: 'admin report of recent posts', count: 1 },
        { ns, op: 'aggregate', reason: 'admin report of recent posts', count: 1 },
        { ns, op: 'update', reason: 'maintenance', count: 1 },
      ]);
      const server = await h.client.db('admin').command({ serverStatus: 1 });
      assert.equal(server.embeddedSharding.allowedScatterGather, 3);
    });

    it('a dropped collection forgets its shard key, as in MongoDB', async () => {
      await shard(h, 'temp', { k: 1 });
      await assert.rejects(h.coll('temp').insertOne({ a: 1 }), isCode(61));
      await h.coll('temp').drop();
      await h.coll('temp').insertOne({ a: 1 });
      assert.equal((await h.coll('temp').find({ _id: { $exists: true } }, { hint: { _id: 1 } }).toArray()).length, 1);
    });
  });

  describe('off (the default)', () => {
    const h = useMongo('shardoff', { shardKeyMode: 'off' });

    it('records keys, lets untargeted operations through and counts them', async () => {
      await shard(h, 'posts', { userId: 1 });
      await h.coll('posts').createIndex({ createdAt: 1 });
      await h.coll('posts').insertOne({ _id: 1, createdAt: 1 });
      assert.equal((await h.coll('posts').find({ createdAt: 1 }).toArray()).length, 1);
      await h.coll('posts').updateOne({ createdAt: 1 }, { $set: { userId: 'u1' } });
      // A hashed index serves equality and $in, never a range (that would need a scan: 291).
      await shard(h, 'tokens', { ownerId: 'hashed' });
      await h.coll('tokens').insertMany([{ _id: 1, ownerId: 'a' }, { _id: 2, ownerId: 'b' }]);
      assert.equal((await h.coll('tokens').find({ ownerId: { $in: ['a', 'b'] } }).toArray()).length, 2);
      await assert.rejects(h.coll('tokens').find({ ownerId: { $gt: 'a' } }).toArray(), isCode(291));
      const s = await status(h);
      assert.equal(s.mode, 'off');
      assert.equal(s.untargeted, 3);
      assert.equal(s.refused, 0);
    });
  });
});
