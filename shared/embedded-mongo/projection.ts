import { Aggregator } from 'mingo';
import { Double } from 'bson';
import { isPlainObject, type Doc } from './bson-order.js';
import { cloneValue, toView } from './bson-view.js';
import { projectionOrderer } from './projection-order.js';
import { MINGO_OPTIONS, asServerError } from './query-matcher.js';

/** A compiled find projection: applies to stored documents without copying untouched values. */
export type Projector = (doc: Doc, textScore?: number) => Doc;

/**
 * Compiles a find/findAndModify projection. `{$meta: "textScore"}` fields are filled in
 * from the query's text scores; the rest is evaluated by mingo's `$project`.
 */
export function compileProjection(projection: Doc | undefined): Projector {
  if (!projection || Object.keys(projection).length === 0) return (doc) => doc;
  const simple = simpleProjection(projection);
  if (simple) return simple;
  const metaFields: string[] = [];
  const rest: Doc = {};
  for (const [k, v] of Object.entries(projection)) {
    if (isPlainObject(v) && v.$meta === 'textScore') metaFields.push(k);
    else rest[k] = toView(v);
  }
  let agg: Aggregator | undefined;
  const order = projectionOrderer(rest);
  if (Object.keys(rest).length > 0) {
    try {
      agg = new Aggregator([{ $project: rest }], MINGO_OPTIONS);
    } catch (err) {
      throw asServerError(err);
    }
  }
  return (doc, score) => {
    let out: Doc;
    try {
      // mingo may modify nested objects of its input; stored documents must stay intact.
      out = agg ? (agg.run([cloneValue(doc)])[0] as Doc) : { ...doc };
      if (agg && order) out = order(out, doc);
    } catch (err) {
      throw asServerError(err);
    }
    for (const f of metaFields) out[f] = new Double(score ?? 0);
    return out;
  };
}

/**
 * The common case — top-level fields only, all included or all excluded (`_id` either way) —
 * without mingo: stored values are shared, not copied, and fields keep the document's
 * order with `_id` first, as MongoDB returns them. Anything else returns undefined.
 */
function simpleProjection(projection: Doc): Projector | undefined {
  const fields = new Set<string>();
  let mode: boolean | undefined;
  let keepId = true;
  for (const [k, raw] of Object.entries(projection)) {
    const v = toView(raw);
    if (typeof v !== 'number' && typeof v !== 'boolean') return undefined;
    if (k === '' || k.startsWith('$') || k.includes('.')) return undefined;
    const include = v !== 0 && v !== false;
    if (k === '_id') {
      keepId = include;
      continue;
    }
    if (mode !== undefined && mode !== include) return undefined;
    mode = include;
    fields.add(k);
  }
  // Only `_id` listed: `{_id: 0}` excludes it, `{_id: 1}` keeps nothing else.
  const including = mode ?? keepId;
  return (doc) => {
    const out: Doc = {};
    for (const k of Object.keys(doc)) {
      if (k === '_id' ? keepId : fields.has(k) === including) out[k] = doc[k];
    }
    return out;
  };
}
