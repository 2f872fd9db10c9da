import { Aggregator } from 'mingo';
import { Context, evalExpr } from 'mingo/core';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import { compareBson, isPlainObject, type Doc } from './bson-order.js';
import { cloneValue } from './bson-view.js';
import { getPath, pathValues } from './document-paths.js';
import { MongoServerError } from './mongo-error.js';
import { projectionOrderer } from './projection-order.js';
import { asServerError, MINGO_OPTIONS } from './query-matcher.js';

/** What a pipeline can reach besides its input: other collections of the database, and `$$variables`. */
export interface PipelineEnv {
  /** Copies (mingo views) of every document of a collection; empty when it does not exist. */
  collectionDocs(from: string): Doc[];
  /** Copies of the documents of `from` whose `field` equals one of `values`, found through the planner. */
  matchForeign(from: string, field: string, values: unknown[]): Doc[];
  variables?: Doc;
}

const EXPRESSION_CONTEXT = Context.init({ expression: expressionOperators, accumulator: accumulatorOperators } as Parameters<typeof Context.init>[0]);

/** Evaluates an aggregation expression against a document (field paths, `$$ROOT`, `$$variables`). */
function evaluate(doc: Doc, expr: unknown, env: PipelineEnv): unknown {
  try {
    return evalExpr(doc, expr, { ...MINGO_OPTIONS, context: EXPRESSION_CONTEXT, variables: env.variables } as unknown as Parameters<typeof evalExpr>[2]);
  } catch (err) {
    throw asServerError(err);
  }
}

function runMingo(docs: Doc[], stages: Doc[], env: PipelineEnv): Doc[] {
  try {
    return new Aggregator(stages, { ...MINGO_OPTIONS, collectionResolver: (from: string) => env.collectionDocs(from), variables: env.variables }).run(docs);
  } catch (err) {
    throw asServerError(err);
  }
}

/** A copy of `doc` with `path` set (or removed, for undefined), copying only the objects along the path. */
function withPath(doc: Doc, parts: string[], value: unknown): Doc {
  const [head, ...rest] = parts as [string, ...string[]];
  const out: Doc = { ...doc };
  if (rest.length === 0) {
    if (value === undefined) delete out[head];
    else out[head] = value;
    return out;
  }
  const child = isPlainObject(doc[head]) ? doc[head] : {};
  out[head] = withPath(child, rest, value);
  return out;
}

/** `$project`: mingo computes it; the fields are then put in MongoDB's order. */
function project(docs: Doc[], spec: unknown, env: PipelineEnv): Doc[] {
  if (!isPlainObject(spec) || Object.keys(spec).length === 0) throw new MongoServerError('Location40177', '$project specification must be an object with at least one field');
  const out = runMingo(docs, [{ $project: spec }], env);
  const order = projectionOrderer(spec);
  return order ? out.map((d, i) => order(d, docs[i] as Doc)) : out;
}

/** `$unwind`, as the manual specifies it: non-arrays are one-element arrays; missing, null and [] are dropped unless preserved. */
function unwind(docs: Doc[], spec: unknown): Doc[] {
  const opts = typeof spec === 'string' ? { path: spec } : isPlainObject(spec) ? spec : undefined;
  if (!opts || typeof opts.path !== 'string') throw new MongoServerError('Location15981', 'expected either a string or an object as specification for $unwind stage');
  if (!opts.path.startsWith('$') || opts.path.length < 2) throw new MongoServerError('Location28818', `path option to $unwind stage should be prefixed with a '$': ${opts.path}`);
  const indexField = opts.includeArrayIndex;
  if (indexField !== undefined && (typeof indexField !== 'string' || indexField === '' || indexField.startsWith('$'))) {
    throw new MongoServerError('Location28822', `includeArrayIndex option to $unwind stage should not be prefixed with a '$': ${String(indexField)}`);
  }
  const preserve = opts.preserveNullAndEmptyArrays === true;
  const parts = opts.path.slice(1).split('.');
  const field = parts.join('.');
  const out: Doc[] = [];
  const emit = (doc: Doc, index: number | null): void => {
    out.push(indexField ? { ...doc, [indexField]: index } : doc);
  };
  for (const doc of docs) {
    const value = getPath(doc, field);
    if (Array.isArray(value) && value.length > 0) {
      value.forEach((el, i) => emit(withPath(doc, parts, el), i));
    } else if (value === undefined || value === null || Array.isArray(value)) {
      // An empty array is unwound into a document without the field.
      if (preserve) emit(Array.isArray(value) ? withPath(doc, parts, undefined) : doc, null);
    } else {
      emit(doc, null);
    }
  }
  return out;
}

/** `$bucket`: each boundary pair is [lower inclusive, upper exclusive); output `{_id: lower, ...}` sorted by `_id`. */
function bucket(docs: Doc[], spec: unknown, env: PipelineEnv): Doc[] {
  if (!isPlainObject(spec)) throw new MongoServerError('Location40201', 'Argument to $bucket stage must be an object');
  const { groupBy, boundaries, output } = spec;
  const hasDefault = 'default' in spec;
  if (groupBy === undefined || !Array.isArray(boundaries)) throw new MongoServerError('Location40198', "$bucket requires 'groupBy' and 'boundaries' to be specified.");
  if (boundaries.length < 2) throw new MongoServerError('Location40192', `The $bucket 'boundaries' field must have at least 2 values, but found ${boundaries.length} value(s).`);
  for (let i = 1; i < boundaries.length; i++) {
    if (compareBson(boundaries[i - 1], boundaries[i]) >= 0) throw new MongoServerError('Location40194', "The 'boundaries' option to $bucket must be sorted in ascending order");
  }
  const lowest = boundaries[0];
  const highest = boundaries[boundaries.length - 1];
  if (hasDefault && compareBson(spec.default, lowest) >= 0 && compareBson(spec.default, highest) < 0) {
    throw new MongoServerError('Location40199', "The $bucket 'default' field must be less than the lowest boundary or greater than or equal to the highest boundary.");
  }
  if (output !== undefined && !isPlainObject(output)) throw new MongoServerError('Location40196', "The $bucket 'output' field must be an object");
  const groups = new Map<number, Doc[]>();
  for (const doc of docs) {
    const v = evaluate(doc, groupBy, env) ?? null;
    let slot = -1;
    if (compareBson(v, lowest) >= 0 && compareBson(v, highest) < 0) {
      slot = 0;
      while (compareBson(v, boundaries[slot + 1]) >= 0) slot++;
    } else if (!hasDefault) {
      throw new MongoServerError('Location40066', '$switch could not find a matching branch for an input, and no default was specified.');
    }
    const list = groups.get(slot) ?? [];
    list.push(doc);
    groups.set(slot, list);
  }
  const accumulators = output ?? { count: { $sum: 1 } };
  const rows = [...groups.entries()].map(([slot, members]) => {
    const [row] = runMingo(members, [{ $group: { _id: null, ...accumulators } }], env);
    const { _id, ...rest } = row as Doc;
    void _id;
    return { _id: slot < 0 ? spec.default : boundaries[slot], ...rest };
  });
  return rows.sort((a, b) => compareBson(a._id, b._id));
}

/** `$bucketAuto`: mingo's buckets, with `_id` first as MongoDB writes it. */
function bucketAuto(docs: Doc[], spec: unknown, env: PipelineEnv): Doc[] {
  return runMingo(docs, [{ $bucketAuto: spec }], env).map(({ _id, ...rest }) => ({ _id, ...rest }));
}

/** Validates a `$facet` specification (also before any work, from the aggregate command). */
export function checkFacet(spec: unknown): void {
  if (!isPlainObject(spec) || Object.keys(spec).length === 0) throw new MongoServerError('Location40169', 'the $facet specification must be a non-empty object');
  for (const [name, sub] of Object.entries(spec)) {
    if (!Array.isArray(sub) || !sub.every(isPlainObject)) throw new MongoServerError('Location40170', `arguments to $facet must be arrays, ${name} is type ${typeof sub}`);
    for (const stage of sub as Doc[]) {
      const stageName = Object.keys(stage)[0] ?? '';
      if (['$facet', '$out', '$merge', '$geoNear', '$collStats', '$indexStats'].includes(stageName)) {
        throw new MongoServerError('Location40600', `${stageName} is not allowed to be used within a $facet stage`);
      }
    }
  }
}

/** `$facet`: each sub-pipeline runs over its own copy of the input. */
function facet(docs: Doc[], spec: unknown, env: PipelineEnv): Doc[] {
  checkFacet(spec);
  const out: Doc = {};
  for (const [name, sub] of Object.entries(spec as Doc)) out[name] = runPipeline(docs.map((d) => cloneValue(d)), sub as Doc[], env);
  return [out];
}

/**
 * `$lookup`: the equality form (a local array matches any element), the pipeline form with
 * `let`, and both together (MongoDB 5.0's concise form, where the pipeline sees only the
 * equality matches). Equality matches are found through the foreign collection's indexes.
 */
function lookup(docs: Doc[], spec: unknown, env: PipelineEnv): Doc[] {
  if (!isPlainObject(spec)) throw new MongoServerError('FailedToParse', 'the $lookup specification must be an Object');
  const { from, as, localField, foreignField, pipeline } = spec;
  if (typeof from !== 'string') throw new MongoServerError('FailedToParse', "$lookup requires a 'from' collection name");
  if (typeof as !== 'string' || as === '') throw new MongoServerError('FailedToParse', "must specify 'as' field for a $lookup");
  const equality = localField !== undefined || foreignField !== undefined;
  if (equality && (typeof localField !== 'string' || typeof foreignField !== 'string')) {
    throw new MongoServerError('FailedToParse', "$lookup requires both or neither of 'localField' and 'foreignField' to be specified");
  }
  if (!equality && pipeline === undefined) throw new MongoServerError('FailedToParse', "$lookup requires either 'pipeline' or both 'localField' and 'foreignField' to be specified");
  if (pipeline !== undefined && (!Array.isArray(pipeline) || !pipeline.every(isPlainObject))) throw new MongoServerError('FailedToParse', "'pipeline' option must be specified as an array");
  if (spec.let !== undefined && !isPlainObject(spec.let)) throw new MongoServerError('FailedToParse', "$lookup argument 'let' must be an object");
  const asParts = as.split('.');
  const everything = equality ? undefined : env.collectionDocs(from);
  return docs.map((doc) => {
    let joined: Doc[];
    if (equality) {
      // A path through an array of subdocuments reaches each element's value, as in MongoDB.
      const local = getPath(doc, localField as string);
      const values = Array.isArray(local) ? local : local !== undefined ? [local] : pathValues(doc, localField as string).values.map((v) => v ?? null);
      joined = env.matchForeign(from, foreignField as string, values);
    } else {
      joined = (everything as Doc[]).map((d) => cloneValue(d));
    }
    if (pipeline) {
      const variables: Doc = { ...env.variables };
      for (const [name, expr] of Object.entries((spec.let as Doc | undefined) ?? {})) variables[name] = evaluate(doc, expr, env);
      joined = runPipeline(joined, pipeline as Doc[], { ...env, variables });
    }
    return withPath(doc, asParts, joined);
  });
}

type OwnStage = (docs: Doc[], spec: unknown, env: PipelineEnv) => Doc[];

/** Stages where mingo differs from MongoDB, implemented here; the rest run in mingo. */
const OWN_STAGES: Record<string, OwnStage> = {
  $project: project,
  $unwind: (docs, spec) => unwind(docs, spec),
  $bucket: bucket,
  $bucketAuto: bucketAuto,
  $facet: facet,
  $lookup: lookup,
};

/** Runs aggregation stages over documents in mingo view form (see toView). */
export function runPipeline(docs: Doc[], stages: Doc[], env: PipelineEnv): Doc[] {
  let current = docs;
  let batch: Doc[] = [];
  const flush = (): void => {
    if (batch.length) current = runMingo(current, batch, env);
    batch = [];
  };
  for (const stage of stages) {
    const name = Object.keys(stage)[0] ?? '';
    const own = OWN_STAGES[name];
    if (!own) {
      batch.push(stage);
      continue;
    }
    flush();
    current = own(current, stage[name], env);
  }
  flush();
  return current;
}

/** The stages MongoDB allows in a pipeline-style update. */
const UPDATE_STAGES = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

/** Refuses a stage that a pipeline-style update may not use, as MongoDB does. */
export function checkUpdatePipeline(stages: Doc[]): void {
  for (const stage of stages) {
    const name = Object.keys(stage)[0] ?? '';
    if (!UPDATE_STAGES.has(name)) throw new MongoServerError('InvalidOptions', `${name} is not allowed to be used within an update`);
  }
}
