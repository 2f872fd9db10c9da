import assert from 'node:assert/strict';
import { rejection, useMongo, usingEmbedded } from './mongo-harness.js';

describe('embedded mongo: indexes', () => {
  const h = useMongo('indexes');

  it('createIndexes, listIndexes and dropIndexes manage indexes; _id_ always exists (manual: createIndexes, listIndexes, dropIndexes)', async () => {
    const c = h.coll('ix');
    const created = await h.db.command({ createIndexes: 'ix', indexes: [{ key: { a: 1, b: -1 }, name: 'a_1_b_-1' }, { key: { c: 1 }, name: 'c_1', unique: true }] });
    assert.equal(created.numIndexesBefore, 1);
    assert.equal(created.numIndexesAfter, 3);
    assert.equal(created.createdCollectionAutomatically, true);
    const again = await h.db.command({ createIndexes: 'ix', indexes: [{ key: { c: 1 }, name: 'c_1', unique: true }] });
    assert.equal(again.numIndexesAfter, 3, 'creating an identical index again is a no-op');
    const list = await c.listIndexes().toArray();
    assert.deepEqual(list.map((i) => [i.name, i.key, !!i.unique]), [
      ['_id_', { _id: 1 }, false],
      ['a_1_b_-1', { a: 1, b: -1 }, false],
      ['c_1', { c: 1 }, true],
    ]);
    assert.equal(await c.createIndex({ d: 1 }, { sparse: true }), 'd_1');
    const dropped = await h.db.command({ dropIndexes: 'ix', index: 'd_1' });
    assert.equal(dropped.nIndexesWas, 4);
    await h.db.command({ dropIndexes: 'ix', index: { a: 1, b: -1 } });
    assert.deepEqual((await c.listIndexes().toArray()).map((i) => i.name), ['_id_', 'c_1']);
    await c.dropIndexes();
    assert.deepEqual((await c.listIndexes().toArray()).map((i) => i.name), ['_id_']);
  });

  it('index errors: same name other key 86, same key other name 85, unknown index 27, _id_ 72, missing collection 26 (manual: createIndexes/dropIndexes errors)', async () => {
    const c = h.coll('ixerr');
    await c.createIndex({ a: 1 }, { name: 'idx' });
    assert.equal((await rejection(() => c.createIndex({ b: 1 }, { name: 'idx' }))).code, 86);
    assert.equal((await rejection(() => c.createIndex({ a: 1 }, { name: 'other' }))).code, 85);
    assert.equal((await rejection(() => c.dropIndex('nope'))).code, 27);
    assert.equal((await rejection(() => c.dropIndex('_id_'))).code, 72);
    assert.equal((await rejection(() => h.db.command({ listIndexes: 'does_not_exist' }))).code, 26);
  });

  it('a unique index rejects duplicates with E11000, keyPattern and keyValue (manual: Unique Indexes, E11000)', async () => {
    const c = h.coll('uniq');
    await c.createIndex({ email: 1 }, { unique: true });
    await c.insertOne({ email: 'a@example.com' });
    const err = await rejection(() => c.insertOne({ email: 'a@example.com' }));
    assert.equal(err.code, 11000);
    assert.deepEqual(err.keyPattern, { email: 1 });
    assert.deepEqual(err.keyValue, { email: 'a@example.com' });
    assert.equal(err.message, `E11000 duplicate key error collection: ${h.db.databaseName}.uniq index: email_1 dup key: { email: "a@example.com" }`);
    await c.insertOne({ email: 'b@example.com' });
    const upd = await rejection(() => c.updateOne({ email: 'b@example.com' }, { $set: { email: 'a@example.com' } }));
    assert.equal(upd.code, 11000, 'an update into a taken key fails too');
    assert.equal(await c.countDocuments({ email: 'b@example.com' }), 1, 'and leaves the document unchanged');
    const missing = await rejection(async () => {
      await c.insertOne({ other: 1 });
      await c.insertOne({ other: 2 });
    });
    assert.equal(missing.code, 11000, 'a missing field indexes as null, so a second document without it is a duplicate');
    assert.deepEqual(missing.keyValue, { email: null });
  });

  it('a compound unique index compares the whole key; multikey entries count per element (manual: Unique Compound Index)', async () => {
    const c = h.coll('uniqcompound');
    await c.createIndex({ chat: 1, clientId: 1 }, { unique: true });
    await c.insertMany([{ chat: 'c1', clientId: 'm1' }, { chat: 'c1', clientId: 'm2' }, { chat: 'c2', clientId: 'm1' }]);
    const err = await rejection(() => c.insertOne({ chat: 'c1', clientId: 'm2' }));
    assert.equal(err.code, 11000);
    assert.deepEqual(err.keyPattern, { chat: 1, clientId: 1 });
    assert.deepEqual(err.keyValue, { chat: 'c1', clientId: 'm2' });
    assert.match(err.message, /index: chat_1_clientId_1 dup key: \{ chat: "c1", clientId: "m2" \}/);
    const tags = h.coll('uniqtags');
    await tags.createIndex({ tags: 1 }, { unique: true });
    await tags.insertOne({ tags: ['a', 'b'] });
    assert.equal((await rejection(() => tags.insertOne({ tags: ['c', 'b'] }))).code, 11000);
  });

  it('a sparse unique index ignores documents without the field (manual: Sparse Indexes)', async () => {
    const c = h.coll('sparse');
    await c.createIndex({ phone: 1 }, { unique: true, sparse: true });
    await c.insertMany([{ name: 'x' }, { name: 'y' }, { phone: '1' }]);
    assert.equal((await rejection(() => c.insertOne({ phone: '1' }))).code, 11000);
  });

  it('a partial unique index constrains only documents matching its filter (manual: Partial Indexes)', async () => {
    const c = h.coll('partial');
    await c.createIndex({ username: 1 }, { unique: true, partialFilterExpression: { deleted: false } });
    await c.insertMany([{ username: 'u', deleted: true }, { username: 'u', deleted: true }, { username: 'u', deleted: false }]);
    assert.equal((await rejection(() => c.insertOne({ username: 'u', deleted: false }))).code, 11000);
    assert.equal(await c.countDocuments({ username: 'u', deleted: false }), 1);
  });

  it('building a unique index over existing duplicates fails with 11000 and adds nothing (manual: createIndexes on existing data)', async () => {
    const c = h.coll('dupbuild');
    await c.insertMany([{ k: 1 }, { k: 1 }]);
    assert.equal((await rejection(() => c.createIndex({ k: 1 }, { unique: true }))).code, 11000);
    assert.deepEqual((await c.listIndexes().toArray()).map((i) => i.name), ['_id_']);
  });

  it('queries over indexed dotted paths and array elements return every match (manual: Multikey Indexes)', async () => {
    const c = h.coll('multikey');
    await c.createIndex({ 'members.userId': 1 });
    await c.insertMany([
      { _id: 1, members: [{ userId: 'a' }, { userId: 'b' }] },
      { _id: 2, members: [{ userId: 'b' }] },
      { _id: 3, members: [{ userId: 'c' }] },
    ]);
    const rows = await c.find({ 'members.userId': 'b' }).sort({ _id: 1 }).toArray();
    assert.deepEqual(rows.map((r) => r._id), [1, 2]);
    const elem = await c.find({ members: { $elemMatch: { userId: { $in: ['a', 'c'] } } } }).toArray();
    assert.deepEqual(elem.map((r) => r._id).sort(), [1, 3]);
  });

  if (usingEmbedded) {
    describe('notablescan (embedded server: on by default; MongoDB needs the server parameter)', () => {
      it('reports notablescan through getParameter (manual: notablescan parameter)', async () => {
        const p = await h.client.db('admin').command({ getParameter: 1, notablescan: 1 });
        assert.equal(p.notablescan, true);
      });

      it('refuses an unindexed query with NoQueryExecutionPlans 291 (manual: notablescan)', async () => {
        const c = h.coll('scan');
        await c.createIndex({ a: 1 });
        await c.insertMany([{ a: 1, b: 1 }, { a: 2, b: 2 }]);
        for (const run of [
          () => c.find({ b: 1 }).toArray(),
          () => c.find({}).toArray(),
          () => c.findOne({ $or: [{ a: 1 }, { b: 2 }] }),
          () => c.updateOne({ b: 1 }, { $set: { x: 1 } }),
          () => c.deleteMany({ b: 2 }),
          () => c.countDocuments({ b: 1 }),
          () => c.countDocuments({}),
          () => c.distinct('b'),
          () => c.findOneAndUpdate({ b: 1 }, { $set: { x: 1 } }),
          () => c.aggregate([{ $match: { b: 1 } }]).toArray(),
        ]) {
          const err = await rejection(run);
          assert.equal(err.code, 291, String(run));
          assert.equal(err.codeName, 'NoQueryExecutionPlans');
        }
      });

      it('serves queries that an index can bound: equality, range, $in, $or of indexed branches, sort-only, _id (manual: Query Plans)', async () => {
        const c = h.coll('scan');
        await c.createIndex({ b: 1 }, { sparse: true });
        assert.equal((await c.find({ a: { $gt: 0 } }).toArray()).length, 2);
        assert.equal((await c.find({ a: { $in: [1, 2] }, b: 2 }).toArray()).length, 1);
        assert.equal((await c.find({ $or: [{ a: 1 }, { _id: { $exists: true } }] }).toArray()).length, 2);
        assert.equal((await c.find({}).sort({ a: -1 }).limit(1).toArray())[0]?.a, 2);
        assert.equal(await c.estimatedDocumentCount(), 2);
        assert.equal((await rejection(() => c.find({}).sort({ b: 1 }).toArray())).code, 291, 'a sparse index cannot serve a sort over every document');
        assert.equal(await c.countDocuments({ a: 1 }), 1);
        assert.deepEqual(await c.distinct('a'), [1, 2]);
      });

      it('partial indexes serve only queries that imply their filter (manual: Partial Indexes, query coverage)', async () => {
        const c = h.coll('partialscan');
        await c.createIndex({ u: 1 }, { partialFilterExpression: { active: true } });
        await c.insertMany([{ u: 1, active: true }, { u: 1, active: false }]);
        assert.equal((await c.find({ u: 1, active: true }).toArray()).length, 1);
        assert.equal((await rejection(() => c.find({ u: 1 }).toArray())).code, 291);
      });

      it('$lookup needs an index on the foreign field (manual: notablescan with $lookup)', async () => {
        await h.coll('orders').createIndex({ customer: 1 });
        await h.coll('orders').insertOne({ customer: 'c1' });
        await h.coll('customers').insertOne({ _id: 'c1', code: 'C' });
        const err = await rejection(() => h.coll('orders').aggregate([{ $match: { customer: 'c1' } }, { $lookup: { from: 'customers', localField: 'customer', foreignField: 'code', as: 'c' } }]).toArray());
        assert.equal(err.code, 291);
        const ok = await h.coll('orders').aggregate([{ $match: { customer: 'c1' } }, { $lookup: { from: 'customers', localField: 'customer', foreignField: '_id', as: 'c' } }]).toArray();
        assert.equal(ok[0]?.c[0]?.code, 'C');
      });

      it('system collections, listCollections and listIndexes are not subject to it (manual: notablescan scope)', async () => {
        await h.coll('system.js').insertOne({ _id: 'f', value: 1 });
        assert.equal((await h.coll('system.js').find({ value: 1 }).toArray()).length, 1);
        assert.ok(Array.isArray(await h.db.listCollections().toArray()));
        assert.ok(Array.isArray(await h.coll('scan').listIndexes().toArray()));
      });
    });
  }
});
