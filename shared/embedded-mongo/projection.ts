import { Aggregator } from 'mingo';
import { Double } from 'bson';
import { isPlainObject, type Doc } from './bson-order.js';
import { cloneValue, toView } from './bson-view.js';
import { MINGO_OPTIONS, asServerError } from './query-matcher.js';

/** A compiled find projection: applies to stored documents without copying untouched values. */
export type Projector = (doc: Doc, textScore?: number) => Doc;

/**
 * Compiles a find/findAndModify projection. `{$meta: "textScore"}` fields are filled in
 * from the query's text scores; the rest is evaluated by mingo's `$project`.
 */
export function compileProjection(projection: Doc | undefined): Projector {
  if (!projection || Object.keys(projection).length === 0) return (doc) => doc;
  const metaFields: string[] = [];
  const rest: Doc = {};
  for (const [k, v] of Object.entries(projection)) {
    if (isPlainObject(v) && v.$meta === 'textScore') metaFields.push(k);
    else rest[k] = toView(v);
  }
  let agg: Aggregator | undefined;
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
    } catch (err) {
      throw asServerError(err);
    }
    for (const f of metaFields) out[f] = new Double(score ?? 0);
    return out;
  };
}
