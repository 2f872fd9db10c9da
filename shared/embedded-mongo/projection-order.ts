import { isPlainObject, type Doc } from './bson-order.js';

/** What a projection does with one field: keep it, compute it, or descend into it. */
type Node = Map<string, 'keep' | 'computed' | Node>;

const isExpressionObject = (v: Doc): boolean => {
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
};

/** Parses an inclusion projection into a tree; undefined for an exclusion projection (mingo keeps its order). */
function parse(spec: Doc): Node | undefined {
  const root: Node = new Map();
  let including = false;
  let excluding = false;
  const add = (node: Node, parts: string[], value: unknown): void => {
    const [head, ...rest] = parts as [string, ...string[]];
    if (rest.length > 0) {
      let child = node.get(head);
      if (!(child instanceof Map)) node.set(head, (child = new Map()));
      add(child, rest, value);
      return;
    }
    if (typeof value === 'number' || typeof value === 'boolean') {
      const keep = value !== 0 && value !== false;
      if (keep) {
        including = true;
        node.set(head, 'keep');
      } else if (head !== '_id' || node !== root) excluding = true;
      return;
    }
    if (isPlainObject(value) && !isExpressionObject(value)) {
      let child = node.get(head);
      if (!(child instanceof Map)) node.set(head, (child = new Map()));
      for (const [k, v] of Object.entries(value)) add(child, k.split('.'), v);
      return;
    }
    including = true;
    node.set(head, 'computed');
  };
  for (const [k, v] of Object.entries(spec)) add(root, k.split('.'), v);
  return including && !excluding ? root : undefined;
}

function reorder(out: unknown, input: unknown, node: Node): unknown {
  if (Array.isArray(out)) return out.map((el, i) => reorder(el, Array.isArray(input) ? input[i] : undefined, node));
  if (!isPlainObject(out)) return out;
  const source = isPlainObject(input) ? input : {};
  const result: Doc = {};
  const place = (k: string): void => {
    if (k in result || !(k in out)) return;
    const rule = node.get(k);
    result[k] = rule instanceof Map ? reorder(out[k], source[k], rule) : out[k];
  };
  // MongoDB: `_id` first, then kept fields in the input document's order, then computed fields in the projection's order.
  place('_id');
  for (const k of Object.keys(source)) if (node.get(k) !== 'computed') place(k);
  for (const k of node.keys()) place(k);
  for (const k of Object.keys(out)) place(k);
  return result;
}

/**
 * Returns a function that gives a projected document MongoDB's field order, given the
 * document it was projected from (mingo orders computed and kept fields differently).
 */
export function projectionOrderer(spec: Doc): ((out: Doc, input: Doc) => Doc) | undefined {
  const tree = parse(spec);
  if (!tree) return undefined;
  return (out, input) => reorder(out, input, tree) as Doc;
}
