import assert from 'node:assert/strict';
import { Binary, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp, BSONRegExp } from 'mongodb';
import { rejection, upd, useMongo } from './mongo-harness.js';

describe('embedded mongo: CRUD through the official driver', () => {
  const h = useMongo('crud');

  it('insert then find round-trips every BSON type exactly (manual: BSON Types)', async () => {
    const c = h.coll('types');
    const doc = {
      _id: new ObjectId(),
      int: new Int32(7),
      dbl: new Double(7),
      frac: 2.5,
      long: Long.fromString('9007199254740993'),
      dec: Decimal128.fromString('1.10'),
      bin: new Binary(Buffer.from([1, 2, 3]), 4),
      gen: new Binary(Buffer.from('hi')),
      ts: new Timestamp({ t: 100, i: 3 }),
      date: new Date('2024-01-02T03:04:05.678Z'),
      re: new BSONRegExp('^a.c$', 'i'),
      nul: null,
      min: new MinKey(),
      max: new MaxKey(),
      nested: { arr: [new Int32(1), 'two', { three: new Double(3) }] },
    };
    await c.insertOne(doc);
    const back = await c.findOne({ _id: doc._id }, { promoteValues: false, promoteLongs: false, bsonRegExp: true });
    assert.ok(back);
    assert.ok(back.int instanceof Int32 && back.int.value === 7);
    assert.ok(back.dbl instanceof Double && back.dbl.value === 7, 'an integral double stays a double');
    assert.ok(back.long instanceof Long && back.long.toString() === '9007199254740993', 'a long keeps all 64 bits');
    assert.ok(back.dec instanceof Decimal128 && back.dec.toString() === '1.10');
    assert.equal(back.bin.sub_type, 4);
    assert.deepEqual([...back.bin.buffer], [1, 2, 3]);
    assert.equal(back.gen.sub_type, 0);
    assert.ok(back.ts instanceof Timestamp && back.ts.t === 100 && back.ts.i === 3);
    assert.equal(back.date.toISOString(), '2024-01-02T03:04:05.678Z');
    assert.ok(back.re instanceof BSONRegExp && back.re.pattern === '^a.c$' && back.re.options === 'i');
    assert.equal(back.nul, null);
    assert.ok(!('missing' in back));
    assert.equal(back.min._bsontype, 'MinKey');
    assert.equal(back.max._bsontype, 'MaxKey');
    assert.ok(back.nested.arr[2].three instanceof Double);
    assert.deepEqual(Object.keys(back), Object.keys(doc), 'field order is preserved');
  });

  it('moves _id to the front of an inserted document (manual: Document Structure, _id field)', async () => {
    const c = h.coll('idorder');
    await c.insertOne({ a: 1, _id: 'x' });
    const back = await c.findOne({ _id: 'x' });
    assert.deepEqual(Object.keys(back ?? {}), ['_id', 'a']);
  });

  it('sorts mixed types in the BSON comparison order (manual: Comparison/Sort Order)', async () => {
    const c = h.coll('order');
    await c.createIndex({ v: 1 });
    const values = [new MaxKey(), true, new Date(5), 'str', { a: 1 }, [0], new ObjectId('000000000000000000000001'), null, new MinKey(), new Int32(3), 2.5, Long.fromNumber(1), new Binary(Buffer.from([9])), new Timestamp({ t: 1, i: 1 }), /re/];
    await c.insertMany(values.map((v, i) => ({ _id: i, v })));
    const sorted = await c.find({}).sort({ v: 1 }).toArray();
    const kinds = sorted.map((d) => (d.v === null ? 'null' : Array.isArray(d.v) ? 'array' : d.v instanceof Date ? 'date' : d.v instanceof RegExp ? 'regex' : typeof d.v === 'object' ? (d.v._bsontype ?? 'object') : typeof d.v));
    // Arrays sort by their smallest element (0), so [0] lands among the numbers.
    assert.deepEqual(kinds, ['MinKey', 'null', 'array', 'number', 'number', 'number', 'string', 'object', 'Binary', 'ObjectId', 'boolean', 'date', 'Timestamp', 'regex', 'MaxKey']);
    assert.deepEqual(sorted.slice(2, 6).map((d) => Number(Array.isArray(d.v) ? d.v[0] : d.v)), [0, 1, 2.5, 3], 'int, long and double compare numerically');
  });

  it('find applies filter, projection, sort, skip and limit (manual: db.collection.find)', async () => {
    const c = h.coll('people');
    await c.createIndex({ age: 1 });
    await c.insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: i, name: `p${i}`, age: i % 10, tags: i % 2 ? ['odd'] : ['even'], extra: { x: i } })));
    const rows = await c.find({ age: { $gte: 3, $lt: 7 } }, { projection: { name: 1, 'extra.x': 1, _id: 0 } }).sort({ age: -1, name: 1 }).skip(1).limit(4).toArray();
    assert.deepEqual(rows, [
      { name: 'p6', extra: { x: 6 } },
      { name: 'p15', extra: { x: 15 } },
      { name: 'p5', extra: { x: 5 } },
      { name: 'p14', extra: { x: 14 } },
    ]);
    const excluded = await c.findOne({ _id: 3 }, { projection: { extra: 0, tags: 0 } });
    assert.deepEqual(excluded, { _id: 3, name: 'p3', age: 3 });
    const sliced = await c.findOne({ _id: 3 }, { projection: { tags: { $slice: 1 }, name: 1 } });
    assert.deepEqual(sliced, { _id: 3, name: 'p3', tags: ['odd'] });
  });

  it('cursors hand out batches through getMore and close when exhausted (manual: getMore, batchSize)', async () => {
    const c = h.coll('batches');
    await c.insertMany(Array.from({ length: 250 }, (_, i) => ({ _id: i })));
    const cursor = c.find({ _id: { $gte: 0 } }).batchSize(60);
    const seen: number[] = [];
    for await (const d of cursor) seen.push(d._id as unknown as number);
    assert.equal(seen.length, 250);
    assert.deepEqual(seen.slice(0, 3), [0, 1, 2]);
    const first = await h.db.command({ find: 'batches', filter: { _id: { $gte: 0 } }, batchSize: 100 }, { promoteLongs: false });
    assert.equal(first.cursor.firstBatch.length, 100);
    assert.ok(first.cursor.id instanceof Long && !first.cursor.id.isZero(), 'cursor ids are longs');
    const more = await h.db.command({ getMore: first.cursor.id, collection: 'batches', batchSize: 200 }, { promoteLongs: false });
    assert.equal(more.cursor.nextBatch.length, 150);
    assert.ok(more.cursor.id.isZero(), 'an exhausted cursor reports id 0');
    const single = await h.db.command({ find: 'batches', filter: { _id: { $gte: 0 } }, batchSize: 10, singleBatch: true }, { promoteLongs: false });
    assert.equal(single.cursor.firstBatch.length, 10);
    assert.ok(single.cursor.id.isZero(), 'singleBatch closes the cursor');
    const deflt = await h.db.command({ find: 'batches', filter: { _id: { $gte: 0 } } });
    assert.equal(deflt.cursor.firstBatch.length, 101, 'the default first batch is 101 documents');
  });

  it('killCursors closes a cursor; getMore on it then fails with CursorNotFound 43 (manual: killCursors)', async () => {
    const c = h.coll('batches');
    const first = await h.db.command({ find: c.collectionName, filter: { _id: { $gte: 0 } }, batchSize: 2 }, { promoteLongs: false });
    const id = first.cursor.id as Long;
    const killed = await h.db.command({ killCursors: c.collectionName, cursors: [id, Long.fromNumber(12345)] }, { promoteLongs: false });
    assert.deepEqual(killed.cursorsKilled.map(String), [id.toString()]);
    assert.deepEqual(killed.cursorsNotFound.map(String), ['12345']);
    const err = await rejection(() => h.db.command({ getMore: id, collection: c.collectionName }));
    assert.equal(err.code, 43);
    assert.equal(err.codeName, 'CursorNotFound');
  });

  it('a cursor reads a snapshot: later writes do not change batches already produced (embedded snapshot semantics hold for fetched documents)', async () => {
    const c = h.coll('snap');
    await c.insertMany([{ _id: 1, v: 'a' }, { _id: 2, v: 'b' }, { _id: 3, v: 'c' }]);
    const cursor = c.find({ _id: { $gte: 1 } }).batchSize(1);
    const first = await cursor.next();
    assert.equal(first?.v, 'a');
    await c.updateOne({ _id: 1 }, { $set: { v: 'changed' } });
    assert.equal(first?.v, 'a');
    await cursor.close();
  });

  it('update operators $set $unset $inc $mul $min $max $rename $push $addToSet $pop $pull $pullAll $currentDate (manual: Update Operators)', async () => {
    const c = h.coll('ops');
    await c.insertOne({ _id: 1, a: 1, b: 'x', n: new Int32(5), d: new Double(1.5), arr: [1, 2, 3, 2], set: ['a'], lo: 5, hi: 5, old: 'o', pops: [1, 2, 3], docs: [{ k: 1 }, { k: 2 }] });
    const r = await c.updateOne({ _id: 1 }, upd({
      $set: { 'nested.deep': true, b: 'y' },
      $unset: { a: '' },
      $inc: { n: 2, fresh: 1 },
      $mul: { d: 2 },
      $min: { lo: 3 },
      $max: { hi: 9 },
      $rename: { old: 'renamed' },
      $push: { arr: { $each: [9, 8], $sort: 1, $slice: -4 } },
      $addToSet: { set: { $each: ['a', 'b'] } },
      $pop: { pops: -1 },
      $pullAll: { docs: [{ k: 1 }] },
      $currentDate: { touched: true },
    }));
    assert.equal(r.matchedCount, 1);
    assert.equal(r.modifiedCount, 1);
    const d = await c.findOne({ _id: 1 }, { promoteValues: false });
    assert.ok(d);
    assert.equal(d.a, undefined);
    assert.equal(d.b, 'y');
    assert.equal(d.nested.deep, true);
    assert.ok(d.n instanceof Int32 && d.n.value === 7, 'int + int stays int');
    assert.ok(d.d instanceof Double && d.d.value === 3);
    assert.equal(d.fresh.value, 1);
    assert.equal(d.lo.value, 3);
    assert.equal(d.hi.value, 9);
    assert.equal(d.renamed, 'o');
    assert.equal(d.old, undefined);
    assert.deepEqual(d.arr.map((x: Int32) => x.value), [2, 3, 8, 9], '$push $each, then $sort, then $slice -4');
    assert.deepEqual(d.set, ['a', 'b']);
    assert.deepEqual(d.pops.map((x: Int32) => x.value), [2, 3]);
    assert.deepEqual(d.docs.map((x: { k: Int32 }) => x.k.value), [2]);
    assert.ok(d.touched instanceof Date);
    await c.updateOne({ _id: 1 }, upd({ $pull: { arr: { $gte: 8 } } }));
    assert.deepEqual((await c.findOne({ _id: 1 }))?.arr, [2, 3]);
    const noop = await c.updateOne({ _id: 1 }, { $set: { b: 'y' } });
    assert.equal(noop.modifiedCount, 0, 'setting the same value does not count as modified');
  });

  it('$inc keeps long and widens int to long on overflow (manual: $inc, numeric types)', async () => {
    const c = h.coll('incs');
    await c.insertOne({ _id: 1, l: Long.fromNumber(10), i: new Int32(2147483647) });
    await c.updateOne({ _id: 1 }, { $inc: { l: 5, i: 1 } });
    const d = await c.findOne({ _id: 1 }, { promoteValues: false });
    assert.ok(d?.l instanceof Long && d.l.toNumber() === 15);
    assert.ok(d?.i instanceof Long && d.i.toNumber() === 2147483648);
  });

  it('the positional $, $[] and $[<id>] with arrayFilters update the right elements (manual: positional operators)', async () => {
    const c = h.coll('positional');
    await c.createIndex({ 'grades.grade': 1 });
    await c.insertOne({ _id: 1, grades: [{ grade: 80, mean: 75 }, { grade: 85, mean: 90 }, { grade: 95, mean: 85 }], scores: [1, 2, 3] });
    await c.updateOne({ _id: 1, 'grades.grade': 85 }, { $set: { 'grades.$.mean': 100 } });
    await c.updateOne({ _id: 1 }, { $inc: { 'scores.$[]': 10 } });
    await c.updateOne({ _id: 1 }, { $set: { 'grades.$[hi].top': true } }, { arrayFilters: [{ 'hi.grade': { $gte: 85 } }] });
    const d = await c.findOne({ _id: 1 });
    assert.deepEqual(d?.grades, [
      { grade: 80, mean: 75 },
      { grade: 85, mean: 100, top: true },
      { grade: 95, mean: 85, top: true },
    ]);
    assert.deepEqual(d?.scores, [11, 12, 13]);
    const err = await rejection(() => c.updateOne({ _id: 1 }, { $set: { 'grades.$[x].a': 1 } }));
    assert.equal(err.code, 2, 'an identifier without an array filter is BadValue');
  });

  it('conflicting update paths fail with code 40 and _id changes with code 66 (manual: update errors)', async () => {
    const c = h.coll('conflicts');
    await c.insertOne({ _id: 1, a: { b: 1 } });
    const conflict = await rejection(() => c.updateOne({ _id: 1 }, { $set: { a: 1, 'a.b': 2 } }));
    assert.equal(conflict.code, 40);
    const immutable = await rejection(() => c.updateOne({ _id: 1 }, { $set: { _id: 2 } }));
    assert.equal(immutable.code, 66);
    const nonNumeric = await rejection(() => c.updateOne({ _id: 1 }, { $inc: { a: 1 } }));
    assert.equal(nonNumeric.code, 14);
    const unknown = await h.db.command({ update: 'conflicts', updates: [{ q: { _id: 1 }, u: { $frob: { a: 1 } } }] });
    assert.equal(unknown.writeErrors[0].code, 9, 'an unknown modifier is FailedToParse');
  });

  it('upsert inserts from the query equality fields and applies $setOnInsert only on insert (manual: upsert)', async () => {
    const c = h.coll('upserts');
    await c.createIndex({ key: 1 }, { unique: true });
    const r1 = await c.updateOne({ key: 'k1', kind: 'x' }, { $set: { v: 1 }, $setOnInsert: { created: 'yes' } }, { upsert: true });
    assert.equal(r1.upsertedCount, 1);
    assert.ok(r1.upsertedId instanceof ObjectId);
    const r2 = await c.updateOne({ key: 'k1' }, { $set: { v: 2 }, $setOnInsert: { created: 'again' } }, { upsert: true });
    assert.equal(r2.upsertedCount, 0);
    assert.equal(r2.matchedCount, 1);
    const d = await c.findOne({ key: 'k1' }, { projection: { _id: 0 } });
    assert.deepEqual(d, { key: 'k1', kind: 'x', v: 2, created: 'yes' });
    const replaced = await c.replaceOne({ key: 'k2' }, { key: 'k2', whole: true }, { upsert: true });
    assert.equal(replaced.upsertedCount, 1);
  });

  it('updateMany and deleteMany act on every match; deleteOne on one (manual: update/delete multi)', async () => {
    const c = h.coll('many');
    await c.createIndex({ g: 1 });
    await c.insertMany(Array.from({ length: 10 }, (_, i) => ({ _id: i, g: i % 2 })));
    const u = await c.updateMany({ g: 0 }, { $set: { even: true } });
    assert.equal(u.matchedCount, 5);
    assert.equal(u.modifiedCount, 5);
    assert.equal((await c.deleteOne({ g: 1 })).deletedCount, 1);
    assert.equal((await c.deleteMany({ g: 1 })).deletedCount, 4);
    assert.equal(await c.countDocuments({ g: { $in: [0, 1] } }), 5);
  });

  it('findAndModify honours sort, new, upsert, remove and fields (manual: findAndModify)', async () => {
    const c = h.coll('fam');
    await c.createIndex({ q: 1, p: -1 });
    await c.insertMany([{ _id: 1, q: 'a', p: 1 }, { _id: 2, q: 'a', p: 5 }, { _id: 3, q: 'a', p: 3 }]);
    const before = await c.findOneAndUpdate({ q: 'a' }, { $inc: { p: 100 } }, { sort: { p: -1 }, returnDocument: 'before' });
    assert.deepEqual(before, { _id: 2, q: 'a', p: 5 });
    const after = await c.findOneAndUpdate({ q: 'a' }, { $set: { seen: true } }, { sort: { p: 1 }, returnDocument: 'after', projection: { p: 1, seen: 1, _id: 0 } });
    assert.deepEqual(after, { p: 1, seen: true });
    const up = await c.findOneAndUpdate({ q: 'b' }, { $set: { p: 0 } }, { upsert: true, returnDocument: 'after', includeResultMetadata: true });
    assert.equal(up.lastErrorObject?.updatedExisting, false);
    assert.ok(up.lastErrorObject?.upserted);
    assert.equal(up.value?.q, 'b');
    const removed = await c.findOneAndDelete({ q: 'a' }, { sort: { p: -1 } });
    assert.equal(removed?._id, 2);
    const replaced = await c.findOneAndReplace({ q: 'a', p: 3 }, { q: 'a', p: 33 }, { returnDocument: 'after' });
    assert.deepEqual(replaced, { _id: 3, q: 'a', p: 33 });
    const none = await c.findOneAndUpdate({ q: 'zzz' }, { $set: { p: 1 } });
    assert.equal(none, null);
    const bad = await rejection(() => h.db.command({ findAndModify: 'fam', query: { q: 'a' }, remove: true, update: { $set: { a: 1 } } }));
    assert.equal(bad.code, 9);
  });

  it('ordered batches stop at the first error, unordered ones continue, each error with its index (manual: insert ordered, writeErrors)', async () => {
    const c = h.coll('batch');
    await c.insertOne({ _id: 2 });
    const ordered = await rejection(() => c.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }], { ordered: true }));
    assert.equal(ordered.code, 11000);
    assert.equal((ordered as unknown as { result: { insertedCount: number } }).result.insertedCount, 1);
    assert.equal(await c.countDocuments({ _id: 3 }), 0);
    const unordered = await rejection(() => c.insertMany([{ _id: 4 }, { _id: 2 }, { _id: 5 }, { _id: 4 }], { ordered: false }));
    const errs = (unordered as unknown as { writeErrors: { index: number; code: number }[] }).writeErrors;
    assert.deepEqual(errs.map((e) => [e.index, e.code]), [[1, 11000], [3, 11000]]);
    assert.equal(await c.countDocuments({ _id: { $in: [4, 5] } }), 2);
    const raw = await h.db.command({ insert: 'batch', documents: [{ _id: 10 }, { _id: 10 }], ordered: false });
    assert.equal(raw.n, 1);
    assert.equal(raw.writeErrors[0].index, 1);
    assert.deepEqual(raw.writeErrors[0].keyPattern, { _id: 1 });
    assert.deepEqual(raw.writeErrors[0].keyValue, { _id: 10 });
  });

  it('bulkWrite mixes inserts, updates, upserts, replaces and deletes (manual: db.collection.bulkWrite)', async () => {
    const c = h.coll('bulk');
    await c.createIndex({ k: 1 });
    const r = await c.bulkWrite([
      { insertOne: { document: { _id: 1, k: 'a' } } },
      { insertOne: { document: { _id: 2, k: 'b' } } },
      { updateOne: { filter: { k: 'a' }, update: { $set: { v: 1 } } } },
      { updateMany: { filter: { k: { $in: ['a', 'b'] } }, update: { $set: { all: true } } } },
      { updateOne: { filter: { k: 'c' }, update: { $set: { v: 3 } }, upsert: true } },
      { replaceOne: { filter: { k: 'b' }, replacement: { k: 'b2' } } },
      { deleteOne: { filter: { k: 'a' } } },
    ]);
    assert.equal(r.insertedCount, 2);
    assert.equal(r.matchedCount, 4);
    assert.equal(r.modifiedCount, 4);
    assert.equal(r.upsertedCount, 1);
    assert.equal(r.deletedCount, 1);
    assert.deepEqual(await c.find({ k: { $in: ['b2', 'c'] } }, { projection: { _id: 0 } }).sort({ k: 1 }).toArray(), [{ k: 'b2' }, { k: 'c', v: 3 }]);
  });

  it('count, countDocuments, estimatedDocumentCount and distinct (manual: count, distinct)', async () => {
    const c = h.coll('counting');
    await c.createIndex({ cat: 1 });
    await c.insertMany([{ cat: 'a', tags: ['x', 'y'] }, { cat: 'a', tags: ['y'] }, { cat: 'b', tags: 'z' }, { cat: 'c' }]);
    assert.equal(await c.estimatedDocumentCount(), 4);
    assert.equal(await c.countDocuments({ cat: 'a' }), 2);
    assert.equal(await c.countDocuments({ cat: { $gte: 'a' } }, { skip: 1, limit: 2 }), 2);
    const raw = await h.db.command({ count: 'counting', query: { cat: 'b' } });
    assert.equal(raw.n, 1);
    assert.deepEqual(await c.distinct('cat'), ['a', 'b', 'c']);
    await c.createIndex({ tags: 1 });
    assert.deepEqual(await c.distinct('tags', { cat: { $in: ['a', 'b'] } }), ['x', 'y', 'z']);
    assert.equal(await h.coll('nothing_here').countDocuments({ _id: 1 }), 0);
  });

  it('$in of strings and ObjectIds matches equal values and arrays holding one, never another type (manual: $in)', async () => {
    const c = h.coll('in_fast');
    await c.createIndex({ k: 1 });
    const [a, b, other] = [new ObjectId(), new ObjectId(), new ObjectId()];
    await c.insertMany([
      { _id: 1, k: 'x', ref: a },
      { _id: 2, k: ['y', 'z'], ref: [other, b] },
      { _id: 3, k: 'w', ref: a.toHexString() },
      { _id: 4, k: 7, ref: null },
      { _id: 5 },
    ]);
    const ids = async (filter: object): Promise<unknown[]> => (await c.find(filter, { sort: { _id: 1 } }).toArray()).map((d) => d._id);
    assert.deepEqual(await ids({ k: { $in: ['x', 'z'] } }), [1, 2], 'a value, or an array holding one');
    assert.deepEqual(await ids({ _id: { $in: [2, 4] }, ref: { $in: [a, b] } }), [2], 'ObjectIds by value; a hex string is another type');
    assert.deepEqual(await ids({ _id: { $in: [1, 3] }, ref: { $in: [a.toHexString()] } }), [3], 'a string does not match an ObjectId');
    assert.deepEqual(await ids({ k: { $in: ['w', 'x'] }, ref: { $in: [a, a.toHexString()] } }), [1, 3], 'mixed strings and ObjectIds');
    assert.deepEqual(await ids({ k: { $in: [] } }), [], 'an empty list matches nothing');
    assert.deepEqual(await ids({ k: { $in: [7, 'x'] } }), [1, 4], 'other types still match (through the general matcher)');
    assert.deepEqual(await ids({ _id: { $in: [1, 2, 3, 4, 5] }, ref: { $in: [null] } }), [4, 5], 'null matches missing fields too');
  });
});
