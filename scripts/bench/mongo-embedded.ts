/**
 * Benchmark of the embedded MongoDB-compatible server through the official driver:
 * insert throughput, point finds and indexed range queries at 10k, 100k and 1M documents.
 * The collection grows from one size to the next; queries are timed at each size. Then geo:
 * `$near` (5 km, 20 nearest) and `$geoNear` + `$limit: 20` over 100k points of a 2dsphere
 * index, against a 20-document indexed range query on the same collection as the baseline.
 *   npm run bench:mongo-embedded [-- --sizes 10000,100000,1000000 --geo-points 100000]
 */
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '../../shared/embedded-mongo/index.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    'point-queries': { type: 'string', default: '3000' },
    'range-queries': { type: 'string', default: '1000' },
    'geo-points': { type: 'string', default: '100000' },
    'geo-queries': { type: 'string', default: '1000' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const pointQueries = Number(values['point-queries']);
const rangeQueries = Number(values['range-queries']);
const BATCH = 1000;
const RANGE_WIDTH = 20;

interface Row {
  size: number;
  insertsPerSec: number;
  pointPerSec: number;
  pointUs: number;
  rangePerSec: number;
  rangeUs: number;
}

const server = await startEmbeddedMongo({ port: 0, log: () => undefined });
const client = await new MongoClient(server.uri).connect();
const coll = client.db('bench').collection<{ n: number; email: string; group: number; body: string }>('users');
await coll.createIndex({ email: 1 }, { unique: true });
await coll.createIndex({ n: 1 });

const rows: Row[] = [];
let count = 0;
for (const size of sizes) {
  const insertStart = process.hrtime.bigint();
  const inserted = size - count;
  while (count < size) {
    const docs = [];
    for (let i = 0; i < BATCH && count < size; i++, count++) {
      docs.push({ n: count, email: `user${count}@example.com`, group: count % 100, body: `message body number ${count} with some text` });
    }
    await coll.insertMany(docs, { ordered: true });
  }
  const insertSec = Number(process.hrtime.bigint() - insertStart) / 1e9;

  // Untimed warm-up, so the first size is not measured while the JIT is still cold.
  for (let i = 0; i < 3000; i++) {
    await coll.findOne({ email: `user${Math.floor(Math.random() * size)}@example.com` });
    await coll.find({ n: { $gte: i, $lt: i + RANGE_WIDTH } }).sort({ n: 1 }).toArray();
  }

  const pointStart = process.hrtime.bigint();
  for (let i = 0; i < pointQueries; i++) {
    const n = Math.floor(Math.random() * size);
    const doc = await coll.findOne({ email: `user${n}@example.com` });
    if (doc?.n !== n) throw new Error(`point find returned the wrong document for ${n}`);
  }
  const pointSec = Number(process.hrtime.bigint() - pointStart) / 1e9;

  const rangeStart = process.hrtime.bigint();
  for (let i = 0; i < rangeQueries; i++) {
    const lo = Math.floor(Math.random() * (size - RANGE_WIDTH));
    const docs = await coll.find({ n: { $gte: lo, $lt: lo + RANGE_WIDTH } }).sort({ n: 1 }).toArray();
    if (docs.length !== RANGE_WIDTH) throw new Error(`range query returned ${docs.length} documents`);
  }
  const rangeSec = Number(process.hrtime.bigint() - rangeStart) / 1e9;

  rows.push({
    size,
    insertsPerSec: inserted / insertSec,
    pointPerSec: pointQueries / pointSec,
    pointUs: (pointSec / pointQueries) * 1e6,
    rangePerSec: rangeQueries / rangeSec,
    rangeUs: (rangeSec / rangeQueries) * 1e6,
  });
  console.error(`… ${size.toLocaleString('en-US')} documents measured`);
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
console.log('\nEmbedded MongoDB-compatible server, official driver over loopback TCP (client and server in one process)');
console.log(`point find: findOne by a unique indexed field; range: ${RANGE_WIDTH} documents by an indexed range, sorted\n`);
console.log('| documents | inserts/s | point finds/s | µs per point find | range queries/s | µs per range query |');
console.log('|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${fmt(r.size)} | ${fmt(r.insertsPerSec)} | ${fmt(r.pointPerSec)} | ${fmt(r.pointUs)} | ${fmt(r.rangePerSec)} | ${fmt(r.rangeUs)} |`);
}
const first = rows[0];
const last = rows[rows.length - 1];
if (first && last && last !== first) {
  const growth = last.size / first.size;
  console.log(`\n${fmt(last.size)} vs ${fmt(first.size)} documents (${fmt(growth)}× more): per-query time × ${(last.pointUs / first.pointUs).toFixed(2)} for point finds, × ${(last.rangeUs / first.rangeUs).toFixed(2)} for range queries`);
}

// Geo: random points over a 60 × 55 km city-sized area (about 30 per km²).
const geoPoints = Number(values['geo-points']);
const geoQueries = Number(values['geo-queries']);
const places = client.db('bench').collection<{ n: number; loc: { type: 'Point'; coordinates: [number, number] } }>('places');
await places.createIndex({ loc: '2dsphere' });
await places.createIndex({ n: 1 });
const randomPoint = (): [number, number] => [-74.3 + Math.random() * 0.7, 40.5 + Math.random() * 0.5];
for (let n = 0; n < geoPoints; ) {
  const docs = [];
  for (let i = 0; i < BATCH && n < geoPoints; i++, n++) docs.push({ n, loc: { type: 'Point' as const, coordinates: randomPoint() } });
  await places.insertMany(docs, { ordered: true });
}
const timeEach = async (label: string, run: () => Promise<number>): Promise<number> => {
  for (let i = 0; i < 200; i++) await run();
  const start = process.hrtime.bigint();
  for (let i = 0; i < geoQueries; i++) {
    const got = await run();
    if (got !== 20) throw new Error(`${label} returned ${got} documents`);
  }
  return Number(process.hrtime.bigint() - start) / 1e3 / geoQueries;
};
const nearUs = await timeEach('$near', async () => (await places.find({ loc: { $near: { $geometry: { type: 'Point', coordinates: randomPoint() }, $maxDistance: 5000 } } }).limit(20).toArray()).length);
const geoNearUs = await timeEach('$geoNear', async () => (await places.aggregate([{ $geoNear: { near: { type: 'Point', coordinates: randomPoint() }, distanceField: 'd', maxDistance: 5000 } }, { $limit: 20 }]).toArray()).length);
const baselineUs = await timeEach('range', async () => {
  const lo = Math.floor(Math.random() * (geoPoints - 20));
  return (await places.find({ n: { $gte: lo, $lt: lo + 20 } }).sort({ n: 1 }).toArray()).length;
});
console.log(`\nGeo, ${fmt(geoPoints)} points (2dsphere, R-tree), 20 nearest within 5 km:`);
console.log('| query | µs per query | × the 20-document range query |');
console.log('|---|---:|---:|');
console.log(`| $near, limit 20 | ${fmt(nearUs)} | ${(nearUs / baselineUs).toFixed(2)} |`);
console.log(`| $geoNear + $limit 20 | ${fmt(geoNearUs)} | ${(geoNearUs / baselineUs).toFixed(2)} |`);
console.log(`| baseline: indexed range, 20 documents | ${fmt(baselineUs)} | 1.00 |`);
await client.close();
await server.stop();
