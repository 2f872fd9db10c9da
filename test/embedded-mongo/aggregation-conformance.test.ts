import assert from 'node:assert/strict';
import { useMongo, type AnyDoc } from './mongo-harness.js';

/**
 * The MongoDB manual's examples for each aggregation stage the product uses, with the
 * outputs the manual shows. Results are compared as JSON text, so field order counts:
 * MongoDB writes `_id` first and keeps the input document's order.
 */
const MANUAL = 'https://www.mongodb.com/docs/manual/reference/operator/aggregation';

/** Aggregations without a leading indexed $match scan the `_id` index (the suite runs with notablescan). */
const ALL = { hint: { _id: 1 } };

/** Same documents, same values, same field order. */
function sameDocs(actual: unknown, expected: unknown): void {
  assert.equal(JSON.stringify(actual), JSON.stringify(expected));
}

describe('embedded mongo: aggregation stages as the MongoDB manual shows them', () => {
  const h = useMongo('aggconf');

  const artists = [
    { _id: 1, last_name: 'Bernard', first_name: 'Emil', year_born: 1868, year_died: 1941, nationality: 'France' },
    { _id: 2, last_name: 'Rippl-Ronai', first_name: 'Joszef', year_born: 1861, year_died: 1927, nationality: 'Hungary' },
    { _id: 3, last_name: 'Ostroumova', first_name: 'Anna', year_born: 1871, year_died: 1955, nationality: 'Russia' },
    { _id: 4, last_name: 'Van Gogh', first_name: 'Vincent', year_born: 1853, year_died: 1890, nationality: 'Holland' },
    { _id: 5, last_name: 'Maurer', first_name: 'Alfred', year_born: 1868, year_died: 1932, nationality: 'USA' },
    { _id: 6, last_name: 'Munch', first_name: 'Edvard', year_born: 1863, year_died: 1944, nationality: 'Norway' },
    { _id: 7, last_name: 'Redon', first_name: 'Odilon', year_born: 1840, year_died: 1916, nationality: 'France' },
    { _id: 8, last_name: 'Diriks', first_name: 'Edvard', year_born: 1855, year_died: 1930, nationality: 'Norway' },
  ];
  const artwork = [
    { _id: 1, title: 'The Pillars of Society', artist: 'Grosz', year: 1926, price: 199.99, tags: ['painting', 'satire', 'Expressionism', 'caricature'] },
    { _id: 2, title: 'Melancholy III', artist: 'Munch', year: 1902, price: 280.0, tags: ['woodcut', 'Expressionism'] },
    { _id: 3, title: 'Dancer', artist: 'Miro', year: 1925, price: 76.04, tags: ['oil', 'Surrealism', 'painting'] },
    { _id: 4, title: 'The Great Wave off Kanagawa', artist: 'Hokusai', price: 167.3, tags: ['woodblock', 'ukiyo-e'] },
    { _id: 5, title: 'The Persistence of Memory', artist: 'Dali', year: 1931, price: 483.0, tags: ['Surrealism', 'painting', 'oil'] },
    { _id: 6, title: 'Composition VII', artist: 'Kandinsky', year: 1913, price: 385.0, tags: ['oil', 'painting', 'abstract'] },
    { _id: 7, title: 'The Scream', artist: 'Munch', year: 1893, tags: ['Expressionism', 'painting', 'oil'] },
    { _id: 8, title: 'Blue Flower', artist: "O'Keefe", year: 1918, price: 118.42, tags: ['abstract', 'painting'] },
  ];
  const inventory = [
    { _id: 1, item: 'ABC', price: 80, sizes: ['S', 'M', 'L'] },
    { _id: 2, item: 'EFG', price: 120, sizes: [] },
    { _id: 3, item: 'IJK', price: 160, sizes: 'M' },
    { _id: 4, item: 'LMN', price: 10 },
    { _id: 5, item: 'XYZ', price: 5.75, sizes: null },
  ];
  const sales = [
    { _id: 1, item: 'abc', price: 10, quantity: 2, date: new Date('2014-03-01T08:00:00Z') },
    { _id: 2, item: 'jkl', price: 20, quantity: 1, date: new Date('2014-03-01T09:00:00Z') },
    { _id: 3, item: 'xyz', price: 5, quantity: 10, date: new Date('2014-03-15T09:00:00Z') },
    { _id: 4, item: 'xyz', price: 5, quantity: 20, date: new Date('2014-04-04T11:21:39.736Z') },
    { _id: 5, item: 'abc', price: 10, quantity: 10, date: new Date('2014-04-04T21:23:13.331Z') },
    { _id: 6, item: 'def', price: 7.5, quantity: 5, date: new Date('2015-06-04T05:08:13Z') },
    { _id: 7, item: 'def', price: 7.5, quantity: 10, date: new Date('2015-09-10T08:43:00Z') },
    { _id: 8, item: 'abc', price: 10, quantity: 5, date: new Date('2016-02-06T20:20:13Z') },
  ];

  before(async () => {
    await h.coll('artists').insertMany(artists);
    await h.coll('artwork').insertMany(artwork);
    await h.coll('inventory').insertMany(inventory);
    await h.coll('sales').insertMany(sales);
  });

  it(`$bucket: lower bound inclusive, upper exclusive, _id first (${MANUAL}/bucket/)`, async () => {
    const rows = await h.coll('artists').aggregate([
      { $bucket: { groupBy: '$year_born', boundaries: [1840, 1850, 1860, 1870, 1880], default: 'Other', output: { count: { $sum: 1 }, artists: { $push: { name: { $concat: ['$first_name', ' ', '$last_name'] }, year_born: '$year_born' } } } } },
      { $match: { count: { $gt: 3 } } },
    ], ALL).toArray();
    sameDocs(rows, [{ _id: 1860, count: 4, artists: [
      { name: 'Emil Bernard', year_born: 1868 }, { name: 'Joszef Rippl-Ronai', year_born: 1861 },
      { name: 'Alfred Maurer', year_born: 1868 }, { name: 'Edvard Munch', year_born: 1863 },
    ] }]);
    // Values equal to a boundary open the bucket above it; values past the last boundary go to the default.
    const edges = await h.coll('artists').aggregate([{ $bucket: { groupBy: '$year_born', boundaries: [1840, 1853, 1868, 1871], default: 'later' } }], ALL).toArray();
    sameDocs(edges, [{ _id: 1840, count: 1 }, { _id: 1853, count: 4 }, { _id: 1868, count: 2 }, { _id: 'later', count: 1 }]);
    const err = await h.coll('artists').aggregate([{ $bucket: { groupBy: '$year_born', boundaries: [1840, 1860] } }], ALL).toArray().catch((e: AnyDoc) => e);
    assert.equal(err.code, 40066, 'a value outside every bucket without a default fails');
    const unsorted = await h.coll('artists').aggregate([{ $bucket: { groupBy: '$year_born', boundaries: [1900, 1800] } }], ALL).toArray().catch((e: AnyDoc) => e);
    assert.equal(unsorted.code, 40194);
  });

  it(`$bucketAuto: even buckets whose max is the next bucket's min, _id first (${MANUAL}/bucketAuto/)`, async () => {
    await h.coll('priced').insertMany([199.99, 280, 76.04, 167.3, 483, 385, 159, 118.42].map((price, i) => ({ _id: i + 1, price })));
    const rows = await h.coll('priced').aggregate([{ $bucketAuto: { groupBy: '$price', buckets: 4 } }], ALL).toArray();
    sameDocs(rows, [
      { _id: { min: 76.04, max: 159 }, count: 2 },
      { _id: { min: 159, max: 199.99 }, count: 2 },
      { _id: { min: 199.99, max: 385 }, count: 2 },
      { _id: { min: 385, max: 483 }, count: 2 },
    ]);
  });

  it(`$group with $sum $avg $min $max $push $addToSet $first $last $count (${MANUAL}/group/)`, async () => {
    const totals = await h.coll('sales').aggregate([
      { $group: { _id: '$item', totalSaleAmount: { $sum: { $multiply: ['$price', '$quantity'] } } } },
      { $match: { totalSaleAmount: { $gte: 100 } } },
      { $sort: { totalSaleAmount: -1 } },
    ], ALL).toArray();
    sameDocs(totals, [{ _id: 'abc', totalSaleAmount: 170 }, { _id: 'xyz', totalSaleAmount: 150 }, { _id: 'def', totalSaleAmount: 112.5 }]);
    const all = await h.coll('sales').aggregate([{ $group: { _id: null, totalSaleAmount: { $sum: { $multiply: ['$price', '$quantity'] } }, averageQuantity: { $avg: '$quantity' }, count: { $sum: 1 } } }], ALL).toArray();
    sameDocs(all, [{ _id: null, totalSaleAmount: 452.5, averageQuantity: 7.875, count: 8 }]);
    const [abc] = await h.coll('sales').aggregate([
      { $sort: { date: 1 } },
      { $group: { _id: '$item', n: { $count: {} }, min: { $min: '$quantity' }, max: { $max: '$quantity' }, qty: { $push: '$quantity' }, prices: { $addToSet: '$price' }, first: { $first: '$date' }, last: { $last: '$date' }, none: { $avg: '$missing' } } },
      { $match: { _id: 'abc' } },
    ], ALL).toArray();
    assert.deepEqual(Object.keys(abc ?? {}), ['_id', 'n', 'min', 'max', 'qty', 'prices', 'first', 'last', 'none']);
    assert.deepEqual(abc, { _id: 'abc', n: 3, min: 2, max: 10, qty: [2, 10, 5], prices: [10], first: sales[0]?.date, last: sales[7]?.date, none: null });
  });

  it(`$unwind: non-arrays as one element, missing/null/[] dropped unless preserved, includeArrayIndex (${MANUAL}/unwind/)`, async () => {
    const c = h.coll('inventory');
    sameDocs(await c.aggregate([{ $unwind: '$sizes' }], ALL).toArray(), [
      { _id: 1, item: 'ABC', price: 80, sizes: 'S' }, { _id: 1, item: 'ABC', price: 80, sizes: 'M' }, { _id: 1, item: 'ABC', price: 80, sizes: 'L' },
      { _id: 3, item: 'IJK', price: 160, sizes: 'M' },
    ]);
    sameDocs(await c.aggregate([{ $unwind: { path: '$sizes', preserveNullAndEmptyArrays: true } }], ALL).toArray(), [
      { _id: 1, item: 'ABC', price: 80, sizes: 'S' }, { _id: 1, item: 'ABC', price: 80, sizes: 'M' }, { _id: 1, item: 'ABC', price: 80, sizes: 'L' },
      { _id: 2, item: 'EFG', price: 120 }, { _id: 3, item: 'IJK', price: 160, sizes: 'M' }, { _id: 4, item: 'LMN', price: 10 },
      { _id: 5, item: 'XYZ', price: 5.75, sizes: null },
    ]);
    sameDocs(await c.aggregate([{ $unwind: { path: '$sizes', includeArrayIndex: 'arrayIndex' } }], ALL).toArray(), [
      { _id: 1, item: 'ABC', price: 80, sizes: 'S', arrayIndex: 0 }, { _id: 1, item: 'ABC', price: 80, sizes: 'M', arrayIndex: 1 },
      { _id: 1, item: 'ABC', price: 80, sizes: 'L', arrayIndex: 2 }, { _id: 3, item: 'IJK', price: 160, sizes: 'M', arrayIndex: null },
    ]);
    // The case: $unwind then $project keeps `_id` first and the input order.
    sameDocs(await c.aggregate([{ $match: { _id: 1 } }, { $unwind: '$sizes' }, { $project: { sizes: 1, item: 1 } }, { $limit: 1 }], ALL).toArray(), [{ _id: 1, item: 'ABC', sizes: 'S' }]);
    const bad = await c.aggregate([{ $unwind: 'sizes' }], ALL).toArray().catch((e: AnyDoc) => e);
    assert.equal(bad.code, 28818);
  });

  it(`$sortByCount: {_id, count} by descending count (${MANUAL}/sortByCount/)`, async () => {
    const rows = await h.coll('artwork').aggregate([{ $unwind: '$tags' }, { $sortByCount: '$tags' }], ALL).toArray();
    assert.deepEqual(rows.slice(0, 3), [{ _id: 'painting', count: 6 }, { _id: 'oil', count: 4 }, { _id: 'Expressionism', count: 3 }]);
    assert.deepEqual(rows.map((r) => r.count), [6, 4, 3, 2, 2, 1, 1, 1, 1, 1]);
    assert.deepEqual(Object.keys(rows[0] ?? {}), ['_id', 'count']);
  });

  it(`$facet: several pipelines over one input, each with MongoDB's stage semantics (${MANUAL}/facet/)`, async () => {
    const [row] = await h.coll('artwork').aggregate([{ $facet: {
      categorizedByTags: [{ $unwind: '$tags' }, { $sortByCount: '$tags' }, { $limit: 2 }],
      categorizedByPrice: [{ $match: { price: { $exists: 1 } } }, { $bucket: { groupBy: '$price', boundaries: [0, 150, 200, 300, 400], default: 'Other', output: { count: { $sum: 1 }, titles: { $push: '$title' } } } }],
    } }], ALL).toArray();
    sameDocs(row, {
      categorizedByTags: [{ _id: 'painting', count: 6 }, { _id: 'oil', count: 4 }],
      categorizedByPrice: [
        { _id: 0, count: 2, titles: ['Dancer', 'Blue Flower'] },
        { _id: 150, count: 2, titles: ['The Pillars of Society', 'The Great Wave off Kanagawa'] },
        { _id: 200, count: 1, titles: ['Melancholy III'] },
        { _id: 300, count: 1, titles: ['Composition VII'] },
        { _id: 'Other', count: 1, titles: ['The Persistence of Memory'] },
      ],
    });
    const nested = await h.coll('artwork').aggregate([{ $facet: { a: [{ $facet: { b: [] } }] } }], ALL).toArray().catch((e: AnyDoc) => e);
    assert.equal(nested.code, 40600);
  });

  it(`$lookup equality: null and missing local fields match null and missing foreign ones (${MANUAL}/lookup/#perform-a-single-equality-join-with--lookup)`, async () => {
    await h.coll('orders').insertMany([{ _id: 1, item: 'almonds', price: 12, quantity: 2 }, { _id: 2, item: 'pecans', price: 20, quantity: 1 }, { _id: 3 }]);
    const inv = h.coll('skus');
    await inv.createIndex({ sku: 1 });
    await inv.insertMany([
      { _id: 1, sku: 'almonds', description: 'product 1', instock: 120 }, { _id: 2, sku: 'bread', description: 'product 2', instock: 80 },
      { _id: 3, sku: 'cashews', description: 'product 3', instock: 60 }, { _id: 4, sku: 'pecans', description: 'product 4', instock: 70 },
      { _id: 5, sku: null, description: 'Incomplete' }, { _id: 6 },
    ]);
    const rows = await h.coll('orders').aggregate([{ $lookup: { from: 'skus', localField: 'item', foreignField: 'sku', as: 'inventory_docs' } }], ALL).toArray();
    sameDocs(rows, [
      { _id: 1, item: 'almonds', price: 12, quantity: 2, inventory_docs: [{ _id: 1, sku: 'almonds', description: 'product 1', instock: 120 }] },
      { _id: 2, item: 'pecans', price: 20, quantity: 1, inventory_docs: [{ _id: 4, sku: 'pecans', description: 'product 4', instock: 70 }] },
      { _id: 3, inventory_docs: [{ _id: 5, sku: null, description: 'Incomplete' }, { _id: 6 }] },
    ]);
  });

  it(`$lookup with an array localField matches any element (${MANUAL}/lookup/#use--lookup-with-an-array)`, async () => {
    await h.coll('classes').insertMany([{ _id: 1, title: 'Reading is my Superpower', enrollmentlist: ['giraffe2', 'pandabear', 'artie'] }, { _id: 2, title: 'But Writing ...', enrollmentlist: ['giraffe1', 'artie'] }]);
    const members = h.coll('members');
    await members.createIndex({ name: 1 });
    await members.insertMany([{ _id: 1, name: 'artie' }, { _id: 2, name: 'pandabear' }, { _id: 3, name: 'giraffe1' }, { _id: 4, name: 'bob' }]);
    const rows = await h.coll('classes').aggregate([{ $match: { _id: 1 } }, { $lookup: { from: 'members', localField: 'enrollmentlist', foreignField: 'name', as: 'enrollee_info' } }], ALL).toArray();
    assert.deepEqual(rows[0]?.enrollee_info.map((m: AnyDoc) => m.name).sort(), ['artie', 'pandabear']);
    // A localField through an array of subdocuments reaches every element's value.
    await h.coll('teams').insertOne({ _id: 1, roster: [{ member: 'bob' }, { member: 'giraffe1' }] });
    const teams = await h.coll('teams').aggregate([{ $match: { _id: 1 } }, { $lookup: { from: 'members', localField: 'roster.member', foreignField: 'name', as: 'who' } }]).toArray();
    assert.deepEqual(teams[0]?.who.map((m: AnyDoc) => m._id).sort(), [3, 4]);
  });

  it(`$lookup with let and a pipeline, and the concise form that also has localField/foreignField (${MANUAL}/lookup/#join-conditions-and-subqueries-on-a-joined-collection)`, async () => {
    await h.coll('orders2').insertMany([{ _id: 1, item: 'almonds', price: 12, ordered: 2 }, { _id: 2, item: 'pecans', price: 20, ordered: 1 }, { _id: 3, item: 'cookies', price: 10, ordered: 60 }]);
    await h.coll('warehouses').insertMany([
      { _id: 1, stock_item: 'almonds', warehouse: 'A', instock: 120 }, { _id: 2, stock_item: 'pecans', warehouse: 'A', instock: 80 },
      { _id: 3, stock_item: 'almonds', warehouse: 'B', instock: 60 }, { _id: 4, stock_item: 'cookies', warehouse: 'B', instock: 40 },
      { _id: 5, stock_item: 'cookies', warehouse: 'A', instock: 80 },
    ]);
    const rows = await h.coll('orders2').aggregate([{ $lookup: { from: 'warehouses', let: { order_item: '$item', order_qty: '$ordered' }, pipeline: [
      { $match: { $expr: { $and: [{ $eq: ['$stock_item', '$$order_item'] }, { $gte: ['$instock', '$$order_qty'] }] } } },
      { $project: { stock_item: 0, _id: 0 } },
    ], as: 'stockdata' } }], ALL).toArray();
    sameDocs(rows.map((r) => r.stockdata), [[{ warehouse: 'A', instock: 120 }, { warehouse: 'B', instock: 60 }], [{ warehouse: 'A', instock: 80 }], [{ warehouse: 'A', instock: 80 }]]);

    await h.coll('rorders').insertMany([{ _id: 1, item: 'filet', restaurant_name: 'American Steak House' }, { _id: 2, item: 'cheese pizza', restaurant_name: 'Honest John Pizza', drink: 'lemonade' }, { _id: 3, item: 'cheese pizza', restaurant_name: 'Honest John Pizza', drink: 'soda' }]);
    const restaurants = h.coll('restaurants');
    await restaurants.createIndex({ name: 1 });
    await restaurants.insertMany([{ _id: 1, name: 'American Steak House', food: ['filet', 'sirloin'], beverages: ['beer', 'wine'] }, { _id: 2, name: 'Honest John Pizza', food: ['cheese pizza', 'pepperoni pizza'], beverages: ['soda'] }]);
    const concise = await h.coll('rorders').aggregate([{ $lookup: { from: 'restaurants', localField: 'restaurant_name', foreignField: 'name', let: { orders_drink: '$drink' }, pipeline: [{ $match: { $expr: { $in: ['$$orders_drink', '$beverages'] } } }], as: 'matches' } }], ALL).toArray();
    assert.deepEqual(concise.map((r) => r.matches.map((m: AnyDoc) => m._id)), [[], [], [2]]);
  });

  it(`$project, $addFields, $set and $unset keep _id first and the input order (${MANUAL}/project/, /addFields/, /unset/)`, async () => {
    await h.coll('books').insertOne({ _id: 1, title: 'abc123', isbn: '0001122223334', author: { last: 'zzz', first: 'aaa' }, copies: 5, lastModified: '2016-07-28' });
    const c = h.coll('books');
    sameDocs(await c.aggregate([{ $project: { author: 1, title: 1 } }], ALL).toArray(), [{ _id: 1, title: 'abc123', author: { last: 'zzz', first: 'aaa' } }]);
    sameDocs(await c.aggregate([{ $project: { 'author.first': 0, lastModified: 0 } }], ALL).toArray(), [{ _id: 1, title: 'abc123', isbn: '0001122223334', author: { last: 'zzz' }, copies: 5 }]);
    sameDocs(await c.aggregate([{ $project: { copiesSold: '$copies', lastName: '$author.last', title: 1, isbn: { prefix: { $substr: ['$isbn', 0, 3] }, group: { $substr: ['$isbn', 3, 2] } } } }], ALL).toArray(),
      [{ _id: 1, title: 'abc123', isbn: { prefix: '000', group: '11' }, copiesSold: 5, lastName: 'zzz' }]);
    sameDocs(await c.find({ _id: 1 }, { projection: { n: '$copies', title: 1 } }).toArray(), [{ _id: 1, title: 'abc123', n: 5 }]);
    sameDocs(await c.aggregate([{ $unset: ['isbn', 'author.first', 'copies'] }], ALL).toArray(), [{ _id: 1, title: 'abc123', author: { last: 'zzz' }, lastModified: '2016-07-28' }]);
    await h.coll('scores').insertOne({ _id: 1, student: 'Maya', homework: [10, 5, 10], quiz: [10, 8], extraCredit: 0 });
    sameDocs(await h.coll('scores').aggregate([
      { $addFields: { totalHomework: { $sum: '$homework' }, totalQuiz: { $sum: '$quiz' } } },
      { $set: { totalScore: { $add: ['$totalHomework', '$totalQuiz', '$extraCredit'] }, student: 'M.' } },
    ], ALL).toArray(), [{ _id: 1, student: 'M.', homework: [10, 5, 10], quiz: [10, 8], extraCredit: 0, totalHomework: 25, totalQuiz: 18, totalScore: 43 }]);
  });

  it(`$sort, $skip, $limit and $count (${MANUAL}/count/)`, async () => {
    await h.coll('exams').insertMany([88, 92, 97, 71, 79, 83].map((score, i) => ({ _id: i + 1, subject: i % 2 ? 'History' : 'Math', score })));
    sameDocs(await h.coll('exams').aggregate([{ $match: { score: { $gt: 80 } } }, { $count: 'passing_scores' }], ALL).toArray(), [{ passing_scores: 4 }]);
    const top = await h.coll('exams').aggregate([{ $sort: { score: -1, _id: 1 } }, { $skip: 1 }, { $limit: 2 }, { $project: { _id: 0, score: 1 } }], ALL).toArray();
    sameDocs(top, [{ score: 92 }, { score: 88 }]);
  });

  it(`$replaceRoot and $replaceWith with $mergeObjects defaults (${MANUAL}/replaceRoot/)`, async () => {
    await h.coll('people').insertMany([{ _id: 1, name: 'Arlene', age: 34, pets: { dogs: 2, cats: 1 } }, { _id: 2, name: 'Sam', age: 41, pets: { cats: 1, fish: 3 } }, { _id: 3, name: 'Maria', age: 25 }]);
    sameDocs(await h.coll('people').aggregate([{ $replaceRoot: { newRoot: { $mergeObjects: [{ dogs: 0, cats: 0, birds: 0, fish: 0 }, '$pets'] } } }], ALL).toArray(), [
      { dogs: 2, cats: 1, birds: 0, fish: 0 }, { dogs: 0, cats: 1, birds: 0, fish: 3 }, { dogs: 0, cats: 0, birds: 0, fish: 0 },
    ]);
    sameDocs(await h.coll('people').aggregate([{ $match: { _id: 1 } }, { $replaceWith: '$pets' }], ALL).toArray(), [{ dogs: 2, cats: 1 }]);
  });
});
