import { isPlainObject, type Doc } from '../bson-order.js';
import { cloneValue, toView } from '../bson-view.js';
import type { CollectionStore } from '../collection-store.js';
import { badValue, MongoServerError } from '../mongo-error.js';
import { getPath } from '../document-paths.js';
import { hasNear, parseGeoNear, type GeoNearStage } from '../geo-query.js';
import { checkFacet, runPipeline, type PipelineEnv } from '../pipeline-runner.js';
import { setAt } from '../update-paths.js';
import { runQuery } from '../query-executor.js';
import { viewOf, type StoredRecord } from '../query-matcher.js';
import type { CommandHandler, ServerContext } from '../server-context.js';
import { checkShardTarget } from './shard-target.js';
import { collectionArg, docArg, numberArg } from './command-args.js';

const SCORE_FIELD = '__embeddedTextScore';

/** Replaces `{$meta: "textScore"}` with a reference to the hidden score field. */
function rewriteMeta(v: unknown, inSort = false): unknown {
  if (Array.isArray(v)) return v.map((x) => rewriteMeta(x));
  if (!isPlainObject(v)) return v;
  if (v.$meta === 'textScore' && Object.keys(v).length === 1) return inSort ? -1 : `$${SCORE_FIELD}`;
  const out: Doc = {};
  for (const [k, x] of Object.entries(v)) out[k] = rewriteMeta(x, k === '$sort' || inSort);
  return out;
}

/**
 * The leading `$match` (and a `$sort`/`$limit` after it) runs through the query planner, so an
 * aggregation is served by an index exactly as a find would be; the rest runs in mingo.
 */
function leadingQuery(coll: CollectionStore, pipeline: Doc[], ctx: ServerContext, hint: unknown): Leading {
  let i = 0;
  let filter: Doc = {};
  let sort: Doc | undefined;
  let limit: number | undefined;
  if (pipeline[0] && '$geoNear' in pipeline[0]) {
    const geo = parseGeoNear(pipeline[0].$geoNear, [...coll.geoIndexes.values()].map((g) => g.field), coll.ns);
    const after = pipeline[1];
    limit = after && '$limit' in after ? numberArg(after, '$limit') : undefined;
    const result = runQuery(coll, { filter: geo.filter, limit, hint }, ctx.notablescan);
    return { input: result.records, rest: pipeline.slice(limit === undefined ? 1 : 2), geo, distances: result.distances };
  }
  if (pipeline[0] && '$match' in pipeline[0]) {
    if (!isPlainObject(pipeline[0].$match)) throw badValue('the match filter must be an expression in an object');
    filter = pipeline[0].$match;
    i = 1;
  }
  const next = pipeline[i];
  if (next && '$sort' in next && isPlainObject(next.$sort)) {
    sort = next.$sort;
    i++;
    const after = pipeline[i];
    if (after && '$limit' in after) {
      limit = numberArg(after, '$limit');
      i++;
    }
  }
  const result = runQuery(coll, { filter, sort, limit, hint }, ctx.notablescan);
  return { input: result.records, rest: pipeline.slice(i), scores: result.scores };
}

interface Leading {
  input: StoredRecord[];
  rest: Doc[];
  scores?: Map<number, number>;
  geo?: GeoNearStage;
  distances?: Map<number, number>;
}

/** `$geoNear` only as the first stage, `$near` never inside `$match`, `$facet` well formed: checked before any work, as MongoDB parses first. */
function checkGeoStages(stages: Doc[]): void {
  stages.forEach((stage, i) => {
    if ('$geoNear' in stage && i > 0) throw new MongoServerError('Location40602', '$geoNear is only valid as the first stage in a pipeline');
    if ('$match' in stage && hasNear(stage.$match)) throw badValue('$geoNear, $near, and $nearSphere are not allowed in this context');
    if ('$facet' in stage) checkFacet(stage.$facet);
  });
}

/** Sets `$geoNear`'s distanceField (and includeLocs) on a document copy. */
function decorate(copy: Doc, record: StoredRecord, geo: GeoNearStage, distances: Map<number, number>): void {
  setAt(copy, geo.distanceField.split('.'), (distances.get(record.id) ?? 0) * geo.factor);
  if (geo.includeLocs) setAt(copy, geo.includeLocs.split('.'), cloneValue(getPath(viewOf(record), geo.key)));
}

const KNOWN_STAGES = new Set([
  '$addFields', '$bucket', '$bucketAuto', '$count', '$densify', '$facet', '$fill', '$geoNear', '$graphLookup', '$group', '$limit',
  '$lookup', '$match', '$merge', '$out', '$project', '$redact', '$replaceRoot', '$replaceWith', '$sample', '$set',
  '$setWindowFields', '$skip', '$sort', '$sortByCount', '$unionWith', '$unset', '$unwind',
]);

/** Refuses unknown stages up front with MongoDB's error, before any work is done. */
function checkStages(stages: Doc[]): void {
  for (const stage of stages) {
    const keys = Object.keys(stage);
    if (keys.length !== 1) throw new MongoServerError('Location40324', 'A pipeline stage specification object must contain exactly one field.');
    const name = keys[0] as string;
    if (!KNOWN_STAGES.has(name)) throw new MongoServerError('Location40324', `Unrecognized pipeline stage name: '${name}'`);
  }
}

/** `$lookup` on a foreignField needs an index there when notablescan is on, as in MongoDB. */
function checkLookups(ctx: ServerContext, db: string, stages: Doc[]): void {
  for (const stage of stages) {
    const lookup = stage.$lookup;
    if (isPlainObject(lookup) && typeof lookup.from === 'string' && typeof lookup.foreignField === 'string' && ctx.notablescan) {
      const foreign = ctx.catalog.get(db, lookup.from);
      if (!foreign) continue;
      const served = [...foreign.indexes.values()].some((ix) => ix.fields[0] === lookup.foreignField && !ix.spec.partialFilterExpression && !ix.spec.sparse);
      if (!served) {
        throw new MongoServerError('NoQueryExecutionPlans', `error processing query: ns=${foreign.ns} planner returned error :: caused by :: No indexed plans available, and running with 'notablescan' ($lookup on ${lookup.foreignField})`);
      }
    }
    if (isPlainObject(stage.$facet)) for (const sub of Object.values(stage.$facet)) if (Array.isArray(sub)) checkLookups(ctx, db, sub as Doc[]);
    if (stage.$out !== undefined || stage.$merge !== undefined) throw new MongoServerError('NotImplemented', '$out and $merge are not supported by the embedded server');
  }
}

const aggregate: CommandHandler = (ctx, { db, cmd }) => {
  if (typeof cmd.aggregate !== 'string') throw new MongoServerError('InvalidNamespace', 'The embedded server supports collection aggregations only');
  const name = collectionArg(cmd, 'aggregate');
  const pipeline = cmd.pipeline;
  if (!Array.isArray(pipeline) || !pipeline.every(isPlainObject)) throw new MongoServerError('TypeMismatch', "'pipeline' option must be specified as an array");
  if (cmd.explain) throw new MongoServerError('NotImplemented', 'explain is not supported by the embedded server');
  const cursorOpts = docArg(cmd, 'cursor');
  if (!cursorOpts) throw new MongoServerError('FailedToParse', "The 'cursor' option is required, except for aggregate with the explain argument");
  const ns = `${db}.${name}`;
  const coll = ctx.catalog.get(db, name);
  checkStages(pipeline as Doc[]);
  checkLookups(ctx, db, pipeline as Doc[]);
  checkGeoStages(pipeline as Doc[]);
  const first = (pipeline as Doc[])[0];
  const firstFilter = first && isPlainObject(first.$match) ? first.$match : first && isPlainObject(first.$geoNear) && isPlainObject(first.$geoNear.query) ? first.$geoNear.query : {};
  checkShardTarget(ctx, coll, 'aggregate', firstFilter, cmd.comment);
  const lead: Leading = coll ? leadingQuery(coll, pipeline as Doc[], ctx, cmd.hint) : { input: [], rest: (pipeline as Doc[]).filter((s) => !('$geoNear' in s)) };
  const { input, rest, scores, geo, distances } = lead;
  // mingo may modify its input objects, so it gets copies; the map leads unchanged documents back to their exact stored form.
  const original = new Map<Doc, Doc>();
  const docs = input.map((r) => {
    const copy = cloneValue(viewOf(r));
    if (scores) copy[SCORE_FIELD] = scores.get(r.id) ?? 0;
    else if (geo && distances) decorate(copy, r, geo, distances);
    else original.set(copy, r.doc);
    return copy;
  });
  const env: PipelineEnv = {
    collectionDocs: (from) => [...(ctx.catalog.get(db, from)?.records.values() ?? [])].map((r) => cloneValue(viewOf(r))),
    matchForeign: (from, field, values) => {
      const foreign = ctx.catalog.get(db, from);
      if (!foreign) return [];
      return runQuery(foreign, { filter: { [field]: { $in: values } } }, ctx.notablescan).records.map((r) => cloneValue(viewOf(r)));
    },
  };
  const viewStages = toView(rest) as Doc[];
  const stages = scores ? (rewriteMeta(viewStages) as Doc[]) : viewStages;
  const out = stages.length ? runPipeline(docs, stages, env) : docs;
  const results = out.map((d) => {
    const stored = original.get(d);
    if (stored) return stored;
    if (scores && SCORE_FIELD in d) delete d[SCORE_FIELD];
    return d;
  });
  return { cursor: ctx.cursors.open(ns, results, numberArg(cursorOpts, 'batchSize'), false) };
};

/** The aggregate command. */
export const AGGREGATE_HANDLERS: Record<string, CommandHandler> = { aggregate };
