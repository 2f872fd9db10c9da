import assert from 'node:assert/strict';
import { Int32, Long } from 'mongodb';
import { rejection, useMongo, usingEmbedded } from './mongo-harness.js';

describe('embedded mongo: $text, validators, TTL and limits', () => {
  const h = useMongo('misc');

  it('$text finds by stemmed words, phrases and negations, with textScore in projection and sort (manual: $text)', async () => {
    const c = h.coll('posts');
    await c.createIndex({ title: 'text', body: 'text' }, { weights: { title: 5 } });
    await c.insertMany([
      { _id: 1, title: 'Coffee shops', body: 'The best coffee in town' },
      { _id: 2, title: 'Tea', body: 'Coffee is not tea, but tea is lovely' },
      { _id: 3, title: 'Cake', body: 'Chocolate cake recipes' },
    ]);
    const rows = await c.find({ $text: { $search: 'coffee' } }, { projection: { score: { $meta: 'textScore' } } }).sort({ score: { $meta: 'textScore' } }).toArray();
    assert.deepEqual(rows.map((r) => r._id), [1, 2], 'the title match (weight 5) scores higher');
    assert.ok(rows[0]?.score > rows[1]?.score);
    assert.deepEqual((await c.find({ $text: { $search: 'recipe' } }).toArray()).map((r) => r._id), [3], 'stemming: recipe finds recipes');
    assert.deepEqual((await c.find({ $text: { $search: 'coffee -tea' } }).toArray()).map((r) => r._id), [1]);
    assert.deepEqual((await c.find({ $text: { $search: '"best coffee"' } }).toArray()).map((r) => r._id), [1]);
    const listed = (await c.listIndexes().toArray()).find((i) => i.weights);
    assert.deepEqual(listed?.key, { _fts: 'text', _ftsx: 1 });
    assert.deepEqual(listed?.weights, { title: 5, body: 1 });
    const agg = await c.aggregate([{ $match: { $text: { $search: 'tea' } } }, { $project: { _id: 1, s: { $meta: 'textScore' } } }]).toArray();
    assert.equal(agg[0]?._id, 2);
    assert.ok(agg[0]?.s > 0);
  });

  it('$text without a text index fails with IndexNotFound 27 (manual: $text requires a text index)', async () => {
    const c = h.coll('notext');
    await c.insertOne({ a: 'x' });
    const err = await rejection(() => c.find({ $text: { $search: 'x' } }).toArray());
    assert.equal(err.code, 27);
  });

  it('$jsonSchema validators reject bad documents with 121 and errInfo (manual: Schema Validation)', async () => {
    await h.db.createCollection('valid', {
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['name', 'age'],
          additionalProperties: false,
          properties: {
            _id: { bsonType: 'objectId' },
            name: { bsonType: 'string', minLength: 2, maxLength: 10, pattern: '^[A-Z]' },
            age: { bsonType: ['int', 'long'], minimum: 0, maximum: 150 },
            tags: { bsonType: 'array', items: { bsonType: 'string' }, maxItems: 2, uniqueItems: true },
            role: { enum: ['admin', 'user'] },
            at: { bsonType: 'date' },
          },
        },
      },
    });
    const c = h.coll('valid');
    await c.createIndex({ name: 1 });
    await c.insertOne({ name: 'Ann', age: new Int32(3), tags: ['a'], role: 'user', at: new Date() });
    await c.insertOne({ name: 'Bob', age: Long.fromNumber(40) });
    for (const bad of [
      { name: 'Ann' },
      { name: 'ann', age: 3 },
      { name: 'A', age: 3 },
      { name: 'Ann', age: 3.5 },
      { name: 'Ann', age: 200 },
      { name: 'Ann', age: 3, tags: ['a', 'a'] },
      { name: 'Ann', age: 3, tags: [1] },
      { name: 'Ann', age: 3, role: 'root' },
      { name: 'Ann', age: 3, at: 'yesterday' },
      { name: 'Ann', age: 3, extra: true },
    ]) {
      const err = await rejection(() => c.insertOne(bad));
      assert.equal(err.code, 121, JSON.stringify(bad));
      assert.equal(err.message, 'Document failed validation');
      assert.ok((err.errInfo as { details?: unknown })?.details, 'errInfo carries details');
    }
    const upd = await rejection(() => c.updateOne({ name: 'Ann' }, { $set: { age: 'old' } }));
    assert.equal(upd.code, 121, 'updates are validated too');
  });

  it('collMod replaces a validator; query-operator validators work too (manual: collMod, validator)', async () => {
    await h.db.createCollection('modded');
    const c = h.coll('modded');
    await c.insertOne({ qty: -1 });
    await h.db.command({ collMod: 'modded', validator: { qty: { $gte: 0 } }, validationLevel: 'strict' });
    assert.equal((await rejection(() => c.insertOne({ qty: -5 }))).code, 121);
    await c.insertOne({ qty: 5 });
    await h.db.command({ collMod: 'modded', validationAction: 'warn' });
    await c.insertOne({ qty: -7 });
    const missing = await rejection(() => h.db.command({ collMod: 'absent', validator: {} }));
    assert.equal(missing.code, 26);
  });

  it('TTL indexes remove expired documents (manual: TTL Indexes)', async function () {
    this.timeout(usingEmbedded ? 10_000 : 150_000);
    const c = h.coll('sessions');
    await c.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
    await c.createIndex({ k: 1 });
    await c.insertMany([
      { k: 'old', expiresAt: new Date(Date.now() - 60_000) },
      { k: 'arr', expiresAt: [new Date(Date.now() + 3_600_000), new Date(Date.now() - 60_000)] },
      { k: 'new', expiresAt: new Date(Date.now() + 3_600_000) },
      { k: 'none', expiresAt: 'not a date' },
    ]);
    const deadline = Date.now() + (usingEmbedded ? 5_000 : 140_000);
    let left: string[] = [];
    while (Date.now() < deadline) {
      left = (await c.find({ k: { $in: ['old', 'arr', 'new', 'none'] } }).toArray()).map((d) => d.k).sort();
      if (left.length === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(left, ['new', 'none'], 'an array of dates expires by its earliest date; non-dates never expire');
  });

  it('refuses an update that grows a document past 16 MB (manual: BSON Document Size limit)', async () => {
    const c = h.coll('big');
    await c.insertOne({ _id: 1, a: 'x'.repeat(9 * 1024 * 1024) });
    const err = await rejection(() => c.updateOne({ _id: 1 }, { $set: { b: 'y'.repeat(9 * 1024 * 1024) } }));
    assert.ok([10334, 17419].includes(err.code as number), `code ${String(err.code)}`);
    const again = await c.findOne({ _id: 1 }, { projection: { b: 1 } });
    assert.deepEqual(again, { _id: 1 }, 'the document is unchanged');
    await assert.rejects(c.insertOne({ big: 'z'.repeat(17 * 1024 * 1024) }), 'a 17 MB document is refused');
  });
});
