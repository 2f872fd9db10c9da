import assert from 'node:assert/strict';
import { rejection, upd, useMongo } from './mongo-harness.js';

/** The MongoDB manual's update examples the posts, feed and notifications code relies on. */
const MANUAL = 'https://www.mongodb.com/docs/manual/reference';

function sameDocs(actual: unknown, expected: unknown): void {
  assert.equal(JSON.stringify(actual), JSON.stringify(expected));
}

describe('embedded mongo: updates as the MongoDB manual shows them', () => {
  const h = useMongo('updconf');

  it(`pipeline update: $set with $$NOW, $replaceRoot with $mergeObjects, $switch, $concatArrays (${MANUAL}/method/db.collection.updateMany/#update-with-aggregation-pipeline)`, async () => {
    const c = h.coll('students2');
    const before = new Date();
    await c.insertMany([{ _id: 1, quiz1: 8, test2: 100, quiz2: 9, modified: new Date('2019-01-01') }, { _id: 2, quiz2: 5, test1: 80, test2: 89, modified: new Date('2019-01-01') }]);
    await c.updateMany({ _id: { $in: [1, 2] } }, [
      { $replaceRoot: { newRoot: { $mergeObjects: [{ quiz1: 0, quiz2: 0, test1: 0, test2: 0 }, '$$ROOT'] } } },
      { $set: { modified: '$$NOW' } },
    ]);
    const rows = await c.find({ _id: { $in: [1, 2] } }).toArray();
    assert.ok(rows.every((r) => r.modified >= before));
    sameDocs(rows.map(({ modified, ...r }) => (void modified, r)), [
      { _id: 1, quiz1: 8, quiz2: 9, test1: 0, test2: 100 },
      { _id: 2, quiz1: 0, quiz2: 5, test1: 80, test2: 89 },
    ]);

    const s3 = h.coll('students3');
    await s3.insertMany([{ _id: 1, tests: [95, 92, 90] }, { _id: 2, tests: [94, 88, 90] }, { _id: 3, tests: [70, 75, 82] }]);
    await s3.updateMany({ _id: { $gte: 1 } }, [
      { $set: { average: { $trunc: [{ $avg: '$tests' }, 0] } } },
      { $set: { grade: { $switch: { branches: [{ case: { $gte: ['$average', 90] }, then: 'A' }, { case: { $gte: ['$average', 80] }, then: 'B' }, { case: { $gte: ['$average', 70] }, then: 'C' }], default: 'F' } } } },
    ]);
    sameDocs(await s3.find({ _id: { $gte: 1 } }).toArray(), [
      { _id: 1, tests: [95, 92, 90], average: 92, grade: 'A' }, { _id: 2, tests: [94, 88, 90], average: 90, grade: 'A' }, { _id: 3, tests: [70, 75, 82], average: 75, grade: 'C' },
    ]);

    const s4 = h.coll('students4');
    await s4.insertMany([{ _id: 1, quizzes: [4, 6, 7] }, { _id: 2, quizzes: [5] }]);
    await s4.updateOne({ _id: 2 }, [{ $set: { quizzes: { $concatArrays: ['$quizzes', [8, 6]] } } }]);
    assert.deepEqual((await s4.findOne({ _id: 2 }))?.quizzes, [5, 8, 6]);
  });

  it(`pipeline update with $cond $filter $slice $size $ifNull $max and $unset, through findOneAndUpdate and upsert (${MANUAL}/operator/aggregation/filter/, /slice/)`, async () => {
    const c = h.coll('feed');
    await c.insertOne({ _id: 'u1', recent: [1, 2, 3, 4, 5], hidden: [2], score: 3, stale: true });
    const after = await c.findOneAndUpdate({ _id: 'u1' }, [
      { $set: {
        recent: { $slice: [{ $filter: { input: { $concatArrays: [[6], '$recent'] }, as: 'p', cond: { $not: [{ $in: ['$$p', '$hidden'] }] } } }, 4] },
        score: { $max: ['$score', 10] },
        label: { $ifNull: ['$label', 'none'] },
        tier: { $cond: [{ $gte: [{ $size: '$recent' }, 5] }, 'busy', 'quiet'] },
      } },
      { $unset: ['stale', 'hidden'] },
    ], { returnDocument: 'after' });
    sameDocs(after, { _id: 'u1', recent: [6, 1, 3, 4], score: 10, label: 'none', tier: 'busy' });
    await c.updateOne({ _id: 'u2' }, [{ $set: { n: { $add: [{ $ifNull: ['$n', 0] }, 1] } } }], { upsert: true });
    sameDocs(await c.findOne({ _id: 'u2' }), { _id: 'u2', n: 1 });
    // A pipeline update may only use $addFields/$set/$project/$unset/$replaceRoot/$replaceWith.
    const err = await rejection(() => c.updateOne({ _id: 'u1' }, [{ $group: { _id: null } }]));
    assert.equal(err.code, 72);
  });

  it(`$[<identifier>] with arrayFilters on values and on embedded documents (${MANUAL}/operator/update/positional-filtered/)`, async () => {
    const c = h.coll('grades');
    await c.insertMany([{ _id: 1, grades: [95, 92, 90] }, { _id: 2, grades: [98, 100, 102] }, { _id: 3, grades: [95, 110, 100] }]);
    await c.updateMany({ _id: { $gte: 1 } }, { $set: { 'grades.$[element]': 100 } }, { arrayFilters: [{ element: { $gte: 100 } }] });
    assert.deepEqual((await c.find({ _id: { $gte: 1 } }).toArray()).map((d) => d.grades), [[95, 92, 90], [98, 100, 100], [95, 100, 100]]);
    const d = h.coll('grades2');
    await d.insertOne({ _id: 1, grades: [{ grade: 80, mean: 75, std: 6 }, { grade: 85, mean: 90, std: 4 }, { grade: 85, mean: 85, std: 6 }] });
    const res = await d.findOneAndUpdate({ _id: 1 }, { $set: { 'grades.$[elem].mean': 100 }, $inc: { 'grades.$[elem].std': 1 } }, { arrayFilters: [{ 'elem.grade': { $gte: 85 } }], returnDocument: 'after' });
    sameDocs(res?.grades, [{ grade: 80, mean: 75, std: 6 }, { grade: 85, mean: 100, std: 5 }, { grade: 85, mean: 100, std: 7 }]);
    const unused = await rejection(() => d.updateOne({ _id: 1 }, { $set: { x: 1 } }, { arrayFilters: [{ e: 1 }] }));
    assert.equal(unused.code, 9);
  });

  it(`$pull with values, conditions and embedded documents (${MANUAL}/operator/update/pull/)`, async () => {
    const c = h.coll('stores');
    await c.insertMany([
      { _id: 1, fruits: ['apples', 'pears', 'oranges', 'grapes', 'bananas'], vegetables: ['carrots', 'celery', 'squash', 'carrots'] },
      { _id: 2, votes: [3, 5, 6, 7, 7, 8] },
      { _id: 3, results: [{ item: 'A', score: 5 }, { item: 'B', score: 8 }] },
      { _id: 4, results: [{ item: 'C', score: 8, comment: 'Strongly agree' }, { item: 'B', score: 4 }] },
    ]);
    await c.updateOne({ _id: 1 }, upd({ $pull: { fruits: { $in: ['apples', 'oranges'] }, vegetables: 'carrots' } }));
    await c.updateOne({ _id: 2 }, upd({ $pull: { votes: { $gte: 6 } } }));
    await c.updateMany({ _id: { $in: [3, 4] } }, upd({ $pull: { results: { score: 8, item: 'B' } } }));
    await c.updateOne({ _id: 4 }, upd({ $pull: { results: { score: { $gt: 5 } } } }));
    sameDocs(await c.find({ _id: { $gte: 1 } }).toArray(), [
      { _id: 1, fruits: ['pears', 'grapes', 'bananas'], vegetables: ['celery', 'squash'] },
      { _id: 2, votes: [3, 5] },
      { _id: 3, results: [{ item: 'A', score: 5 }] },
      { _id: 4, results: [{ item: 'B', score: 4 }] },
    ]);
  });

  it(`$inc on nested paths, $setOnInsert on upsert only (${MANUAL}/operator/update/inc/, /setOnInsert/)`, async () => {
    const c = h.coll('products');
    await c.insertOne({ _id: 1, sku: 'abc123', quantity: 10, metrics: { orders: 2, ratings: 3.5 } });
    await c.updateOne({ sku: 'abc123', _id: 1 }, { $inc: { quantity: -2, 'metrics.orders': 1, 'metrics.views': 1 } });
    sameDocs(await c.findOne({ _id: 1 }), { _id: 1, sku: 'abc123', quantity: 8, metrics: { orders: 3, ratings: 3.5, views: 1 } });
    await c.updateOne({ _id: 2 }, { $set: { item: 'apple' }, $setOnInsert: { defaultQty: 100 } }, { upsert: true });
    await c.updateOne({ _id: 2 }, { $set: { item: 'pear' }, $setOnInsert: { defaultQty: 5 } }, { upsert: true });
    sameDocs(await c.findOne({ _id: 2 }), { _id: 2, item: 'pear', defaultQty: 100 });
  });

  it(`$addToSet with $each, $push with $each $sort $slice and $position (${MANUAL}/operator/update/addToSet/, /push/, /position/)`, async () => {
    const c = h.coll('arrays');
    await c.insertMany([
      { _id: 1, tags: ['electronics', 'supplies'] },
      { _id: 2, quizzes: [{ wk: 1, score: 10 }, { wk: 2, score: 8 }, { wk: 3, score: 5 }, { wk: 4, score: 6 }] },
      { _id: 3, scores: [100] },
      { _id: 4, scores: [50, 60, 70, 100] },
    ]);
    await c.updateOne({ _id: 1 }, { $addToSet: { tags: { $each: ['camera', 'electronics', 'accessories'] } } });
    await c.updateOne({ _id: 2 }, upd({ $push: { quizzes: { $each: [{ wk: 5, score: 8 }, { wk: 6, score: 7 }, { wk: 7, score: 6 }], $sort: { score: -1 }, $slice: 3 } } }));
    await c.updateOne({ _id: 3 }, upd({ $push: { scores: { $each: [50, 60, 70], $position: 0 } } }));
    await c.updateOne({ _id: 4 }, upd({ $push: { scores: { $each: [20, 30], $position: -2 } } }));
    sameDocs(await c.find({ _id: { $gte: 1 } }).toArray(), [
      { _id: 1, tags: ['electronics', 'supplies', 'camera', 'accessories'] },
      { _id: 2, quizzes: [{ wk: 1, score: 10 }, { wk: 2, score: 8 }, { wk: 5, score: 8 }] },
      { _id: 3, scores: [50, 60, 70, 100] },
      { _id: 4, scores: [50, 60, 20, 30, 70, 100] },
    ]);
  });
});
