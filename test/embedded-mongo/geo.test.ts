import assert from 'node:assert/strict';
import { rejection, useMongo, type AnyDoc } from './mongo-harness.js';

/** The MongoDB manual's geospatial pages: https://www.mongodb.com/docs/manual/geospatial-queries/ and the operator pages cited per test. */
const MANUAL = 'https://www.mongodb.com/docs/manual/reference/operator';

/** MongoDB's sphere: one degree along the equator is 6378100 m × π / 180. */
const METERS_PER_DEGREE = (6378100 * Math.PI) / 180;

const point = (lng: number, lat: number) => ({ type: 'Point', coordinates: [lng, lat] });

describe('embedded mongo: 2dsphere indexes and geo queries', () => {
  const h = useMongo('geo');

  before(async () => {
    const places = h.coll('places');
    await places.createIndex({ location: '2dsphere' });
    await places.createIndex({ category: 1 });
    await places.insertMany([
      { _id: 1, name: 'Central Park', location: point(-73.97, 40.77), category: 'Parks' },
      { _id: 2, name: 'Sara D. Roosevelt Park', location: point(-73.9928, 40.7193), category: 'Parks' },
      { _id: 3, name: 'Polo Grounds', location: point(-73.9375, 40.8303), category: 'Stadiums' },
    ]);
  });

  it(`createIndex 2dsphere is listed as MongoDB lists it; invalid geometries are refused with 16755 (${MANUAL}/../../core/indexes/index-types/geospatial/2dsphere/)`, async () => {
    const spec = (await h.coll('places').listIndexes().toArray()).find((i) => i.name === 'location_2dsphere');
    assert.deepEqual({ key: spec?.key, version: spec?.['2dsphereIndexVersion'] }, { key: { location: '2dsphere' }, version: 3 });
    for (const bad of [point(-190, 10), point(10, 95), { type: 'Point', coordinates: ['a', 1] }, { type: 'Pointy', coordinates: [1, 1] }, 'somewhere']) {
      const err = await rejection(() => h.coll('places').insertOne({ _id: 99, location: bad }));
      assert.equal(err.code, 16755, JSON.stringify(bad));
    }
    // Documents without the field are not indexed (2dsphere indexes are sparse), and legacy pairs are points.
    await h.coll('places').insertMany([{ _id: 50, name: 'nowhere' }, { _id: 51, name: 'legacy', location: [-73.97, 40.7701] }]);
    const near = await h.coll('places').find({ location: { $near: { $geometry: point(-73.97, 40.77), $maxDistance: 50 } } }).toArray();
    assert.deepEqual(near.map((d) => d._id), [1, 51]);
    await h.coll('places').deleteMany({ _id: { $in: [50, 51] } });
  });

  it(`$near with $minDistance/$maxDistance in meters returns nearest first (${MANUAL}/query/near/)`, async () => {
    const rows = await h.coll('places').find({ location: { $near: { $geometry: point(-73.9667, 40.78), $minDistance: 1000, $maxDistance: 5000 } } }).toArray();
    assert.deepEqual(rows.map((r) => r.name), ['Central Park']);
    const all = await h.coll('places').find({ location: { $near: { $geometry: point(-73.9667, 40.78) } } }).toArray();
    assert.deepEqual(all.map((r) => r._id), [1, 3, 2]);
    const limited = await h.coll('places').find({ location: { $nearSphere: { $geometry: point(-73.9667, 40.78) } }, category: 'Parks' }).limit(1).toArray();
    assert.deepEqual(limited.map((r) => r._id), [1]);
    // A legacy pair takes radians.
    const legacy = await h.coll('places').find({ location: { $nearSphere: [-73.9667, 40.78], $maxDistance: 5000 / 6378100 } }).toArray();
    assert.deepEqual(legacy.map((r) => r._id), [1]);
    // An explicit sort re-orders what $near found.
    const sorted = await h.coll('places').find({ location: { $near: { $geometry: point(-73.9667, 40.78) } } }).sort({ name: 1 }).toArray();
    assert.deepEqual(sorted.map((r) => r._id), [1, 3, 2]);
  });

  it(`$near needs a geospatial index: 291 "unable to find index for $geoNear query"; not allowed in countDocuments (${MANUAL}/query/near/#behavior)`, async () => {
    await h.coll('unindexed').insertOne({ _id: 1, location: point(0, 0) });
    const err = await rejection(() => h.coll('unindexed').find({ location: { $near: { $geometry: point(0, 0) } } }).toArray());
    assert.equal(err.code, 291);
    assert.match(err.message, /unable to find index for \$geoNear query/);
    const counted = await rejection(() => h.coll('places').countDocuments({ location: { $near: { $geometry: point(0, 0) } } }));
    assert.equal(counted.code, 2);
  });

  it(`$geoWithin with $centerSphere, a $geometry Polygon (holes too) and $box (${MANUAL}/query/geoWithin/, /centerSphere/, /box/)`, async () => {
    const c = h.coll('shapes');
    await c.createIndex({ loc: '2dsphere' });
    await c.insertMany([
      { _id: 1, loc: point(1, 1) }, { _id: 2, loc: point(3, 5) }, { _id: 3, loc: point(5, 5) }, { _id: 4, loc: point(-88, 30) },
      { _id: 5, loc: point(-88.1, 30.1) }, { _id: 6, loc: point(-89, 30) }, { _id: 7, loc: point(2, 2) },
    ]);
    const ids = async (filter: AnyDoc) => (await c.find(filter).toArray()).map((d) => d._id).sort();
    // Ten miles around [-88, 30], the radius in radians (miles / 3963.2), as in the manual.
    assert.deepEqual(await ids({ loc: { $geoWithin: { $centerSphere: [[-88, 30], 10 / 3963.2] } } }), [4, 5]);
    assert.deepEqual(await ids({ loc: { $geoWithin: { $geometry: { type: 'Polygon', coordinates: [[[0, 0], [3, 6], [6, 1], [0, 0]]] } } } }), [1, 2, 7]);
    assert.deepEqual(await ids({ loc: { $geoWithin: { $geometry: { type: 'Polygon', coordinates: [[[0, 0], [3, 6], [6, 1], [0, 0]], [[1.5, 1.5], [2.5, 1.5], [2.5, 2.5], [1.5, 2.5], [1.5, 1.5]]] } } } }), [1, 2]);
    assert.deepEqual(await ids({ loc: { $geoWithin: { $box: [[0, 0], [3, 5]] } } }), [1, 2, 7]);
    const open = await rejection(() => c.find({ loc: { $geoWithin: { $geometry: { type: 'Polygon', coordinates: [[[0, 0], [3, 6], [6, 1]]] } } } }).toArray());
    assert.equal(open.code, 2);
  });

  it(`$geoNear: distanceField, includeLocs, query, maxDistance/minDistance in meters, key (${MANUAL}/aggregation/geoNear/)`, async () => {
    const rows = await h.coll('places').aggregate([
      { $geoNear: { near: point(-73.99279, 40.719296), distanceField: 'dist.calculated', maxDistance: 2, query: { category: 'Parks' }, includeLocs: 'dist.location', spherical: true } },
    ]).toArray();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.name, 'Sara D. Roosevelt Park');
    assert.ok(rows[0]?.dist.calculated > 0 && rows[0]?.dist.calculated < 2);
    assert.deepEqual(rows[0]?.dist.location, point(-73.9928, 40.7193));
    const far = await h.coll('places').aggregate([
      { $geoNear: { near: point(-73.99279, 40.719296), distanceField: 'd', minDistance: 2, query: { category: 'Parks' } } },
      { $project: { _id: 0, name: 1 } },
    ]).toArray();
    assert.deepEqual(far, [{ name: 'Central Park' }]);
    const err = await rejection(() => h.coll('places').aggregate([{ $match: { category: 'Parks' } }, { $geoNear: { near: point(0, 0), distanceField: 'd' } }]).toArray());
    assert.equal(err.code, 40602);
    const missing = await rejection(() => h.coll('places').aggregate([{ $geoNear: { near: point(0, 0) } }]).toArray());
    assert.equal(missing.code, 2);
  });

  it(`$geoNear distances use MongoDB's sphere of radius 6378100 m; radians for a legacy pair; key picks among several indexes (${MANUAL}/aggregation/geoNear/#specify-which-geospatial-index-to-use)`, async () => {
    const c = h.coll('equator');
    await c.createIndex({ home: '2dsphere' });
    await c.insertMany([{ _id: 1, home: point(1, 0), work: point(0, 0) }, { _id: 2, home: point(2, 0), work: point(3, 0) }]);
    const rows = await c.aggregate([{ $geoNear: { near: point(0, 0), distanceField: 'meters' } }]).toArray();
    assert.deepEqual(rows.map((r) => r._id), [1, 2]);
    assert.ok(Math.abs(rows[0]?.meters - METERS_PER_DEGREE) < 1e-6, String(rows[0]?.meters));
    assert.ok(Math.abs(rows[1]?.meters - 2 * METERS_PER_DEGREE) < 1e-6);
    const radians = await c.aggregate([{ $geoNear: { near: [0, 0], distanceField: 'r', spherical: true } }, { $limit: 1 }]).toArray();
    assert.ok(Math.abs(radians[0]?.r - Math.PI / 180) < 1e-12);
    await c.createIndex({ work: '2dsphere' });
    const ambiguous = await rejection(() => c.aggregate([{ $geoNear: { near: point(0, 0), distanceField: 'd' } }]).toArray());
    assert.equal(ambiguous.code, 27);
    const byWork = await c.aggregate([{ $geoNear: { near: point(0, 0), distanceField: 'd', key: 'work' } }]).toArray();
    assert.deepEqual(byWork.map((r) => [r._id, r.d]), [[1, 0], [2, 3 * METERS_PER_DEGREE]]);
    // The index built over existing documents follows their updates and deletes.
    await c.updateOne({ _id: 2 }, { $set: { work: point(-0.5, 0) } });
    await c.insertOne({ _id: 3, home: point(9, 9), work: point(0.2, 0) });
    await c.deleteOne({ _id: 1 });
    const moved = await c.find({ work: { $near: { $geometry: point(0, 0) } } }).toArray();
    assert.deepEqual(moved.map((r) => r._id), [3, 2]);
  });

  it('refuses malformed geo queries and unsupported geo features with clear codes, changing nothing', async () => {
    const c = h.coll('places');
    const codeOf = async (fn: () => Promise<unknown>) => (await rejection(fn)).code;
    assert.equal(await codeOf(() => c.find({ location: { $near: { $geometry: point(0, 0), $maxDistance: -1 } } }).toArray()), 2);
    assert.equal(await codeOf(() => c.find({ location: { $near: { $geometry: { type: 'Point', coordinates: [0] } } } }).toArray()), 2);
    assert.equal(await codeOf(() => c.find({ location: { $geoWithin: { $centerSphere: [[0, 0], 'far'] } } }).toArray()), 2);
    assert.equal(await codeOf(() => c.find({ location: { $geoIntersects: { $geometry: point(0, 0) } } }).toArray()), 238);
    assert.equal(await codeOf(() => c.find({ $and: [{ location: { $near: { $geometry: point(0, 0) } } }, { location: { $nearSphere: { $geometry: point(0, 0) } } }] }).toArray()), 2);
    assert.equal(await codeOf(() => c.aggregate([{ $geoNear: { near: point(0, 0), distanceField: 'd', bogus: 1 } }]).toArray()), 2);
    assert.equal(await codeOf(() => c.aggregate([{ $geoNear: { near: point(0, 0), distanceField: 'd', key: 'nope' } }]).toArray()), 291);
    assert.equal(await codeOf(() => c.aggregate([{ $facet: { a: [{ $geoNear: { near: point(0, 0), distanceField: 'd' } }] } }]).toArray()), 40600);
    assert.equal(await codeOf(() => h.coll('flat').createIndex({ loc: '2d' })), 67);
    assert.equal(await c.countDocuments({ category: { $in: ['Parks', 'Stadiums'] } }), 3);
  });

  it('$near over thousands of points returns exactly the brute-force answer, nearest first, across the antimeridian', async () => {
    const c = h.coll('many');
    await c.createIndex({ p: '2dsphere' });
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const docs = Array.from({ length: 4000 }, (_, i) => ({ _id: i, p: point(i % 2 ? 179.5 + rand() * 0.5 : -180 + rand() * 0.5, -1 + rand() * 2) }));
    await c.insertMany(docs);
    const center = [179.9, 0.1] as const;
    const rad = Math.PI / 180;
    const dist = (q: readonly number[]) => {
      const a = Math.sin(((q[1] as number) - center[1]) * rad / 2) ** 2 + Math.cos(center[1] * rad) * Math.cos((q[1] as number) * rad) * Math.sin(((q[0] as number) - center[0]) * rad / 2) ** 2;
      return 2 * 6378100 * Math.asin(Math.sqrt(a));
    };
    const expected = docs.map((d) => ({ id: d._id, d: dist(d.p.coordinates) })).filter((x) => x.d <= 30_000).sort((a, b) => a.d - b.d);
    assert.ok(expected.length > 20 && expected.some((x) => x.id % 2 === 0) && expected.some((x) => x.id % 2 === 1), 'the fixture straddles the antimeridian');
    const got = await c.find({ p: { $near: { $geometry: point(center[0], center[1]), $maxDistance: 30_000 } } }).toArray();
    assert.deepEqual(got.map((d) => d._id), expected.map((x) => x.id));
    const top = await c.aggregate([{ $geoNear: { near: point(center[0], center[1]), distanceField: 'd', maxDistance: 30_000 } }, { $limit: 20 }]).toArray();
    assert.deepEqual(top.map((d) => d._id), expected.slice(0, 20).map((x) => x.id));
  });
});
