import assert from 'node:assert/strict';
import { Double } from 'mongodb';
import { useMongo } from './mongo-harness.js';

describe('embedded mongo: aggregation', () => {
  const h = useMongo('agg');

  before(async () => {
    const msgs = h.coll('messages');
    await msgs.createIndex({ chat: 1, seq: 1 });
    await msgs.insertMany([
      { _id: 1, chat: 'c1', seq: 1, from: 'u1', tags: ['a', 'b'], len: 10 },
      { _id: 2, chat: 'c1', seq: 2, from: 'u2', tags: ['b'], len: 20 },
      { _id: 3, chat: 'c1', seq: 3, from: 'u1', tags: [], len: 30 },
      { _id: 4, chat: 'c2', seq: 1, from: 'u3', tags: ['a'], len: 40 },
    ]);
    await h.coll('users').insertMany([{ _id: 'u1', name: 'Ann' }, { _id: 'u2', name: 'Bob' }]);
  });

  it('$match $group $sort $project $addFields (manual: $group, $project, $addFields)', async () => {
    const rows = await h.coll('messages').aggregate([
      { $match: { chat: 'c1' } },
      { $group: { _id: '$from', n: { $sum: 1 }, total: { $sum: '$len' }, last: { $max: '$seq' } } },
      { $sort: { total: -1 } },
      { $addFields: { avg: { $divide: ['$total', '$n'] } } },
      { $project: { _id: 0, from: '$_id', n: 1, avg: 1, last: 1 } },
    ]).toArray();
    assert.deepEqual(rows, [
      { n: 2, last: 3, avg: 20, from: 'u1' },
      { n: 1, last: 2, avg: 20, from: 'u2' },
    ]);
  });

  it('$sort $skip $limit after an indexed $match return documents with their stored types (manual: $skip, $limit)', async () => {
    const c = h.coll('typed');
    await c.createIndex({ k: 1 });
    await c.insertMany([{ k: 1, d: new Double(2) }, { k: 2, d: new Double(3) }, { k: 3, d: new Double(4) }]);
    const rows = await c.aggregate([{ $match: { k: { $gte: 1 } } }, { $sort: { k: -1 } }, { $skip: 1 }, { $limit: 1 }], { promoteValues: false }).toArray();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.k.value, 2);
    assert.ok(rows[0]?.d instanceof Double, 'an untouched document keeps its double');
  });

  it('$unwind and $count (manual: $unwind, $count)', async () => {
    const rows = await h.coll('messages').aggregate([{ $match: { chat: 'c1' } }, { $unwind: '$tags' }, { $group: { _id: '$tags', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray();
    assert.deepEqual(rows, [{ _id: 'a', n: 1 }, { _id: 'b', n: 2 }]);
    const counted = await h.coll('messages').aggregate([{ $match: { chat: { $in: ['c1', 'c2'] } } }, { $count: 'total' }]).toArray();
    assert.deepEqual(counted, [{ total: 4 }]);
  });

  it('$lookup joins on the foreign _id (manual: $lookup equality match)', async () => {
    const rows = await h.coll('messages').aggregate([
      { $match: { chat: 'c1' } },
      { $sort: { seq: 1 } },
      { $lookup: { from: 'users', localField: 'from', foreignField: '_id', as: 'author' } },
      { $project: { _id: 0, seq: 1, name: { $arrayElemAt: ['$author.name', 0] } } },
    ]).toArray();
    assert.deepEqual(rows, [{ seq: 1, name: 'Ann' }, { seq: 2, name: 'Bob' }, { seq: 3, name: 'Ann' }]);
  });

  it('$facet runs sub-pipelines over the same input (manual: $facet)', async () => {
    const [row] = await h.coll('messages').aggregate([
      { $match: { chat: 'c1' } },
      { $facet: { newest: [{ $sort: { seq: -1 } }, { $limit: 1 }, { $project: { _id: 0, seq: 1 } }], count: [{ $count: 'n' }] } },
    ]).toArray();
    assert.deepEqual(row, { newest: [{ seq: 3 }], count: [{ n: 3 }] });
  });

  it('countDocuments sends $match + $group and counts the matches (driver: countDocuments)', async () => {
    assert.equal(await h.coll('messages').countDocuments({ chat: 'c1', seq: { $gt: 1 } }), 2);
    assert.equal(await h.coll('messages').countDocuments({ chat: 'none' }), 0);
  });

  it('aggregate over a missing collection returns nothing; a bad stage fails (manual: aggregate errors)', async () => {
    assert.deepEqual(await h.coll('nope').aggregate([{ $match: { _id: 1 } }]).toArray(), []);
    await assert.rejects(h.coll('messages').aggregate([{ $match: { chat: 'c1' } }, { $frob: {} }]).toArray(), (err: { code?: number }) => err.code === 40324);
  });
});
