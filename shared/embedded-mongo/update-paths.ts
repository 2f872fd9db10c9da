import { Query } from 'mingo';
import { isPlainObject, type Doc } from './bson-order.js';
import { formatValue, toView } from './bson-view.js';
import { getPath } from './document-paths.js';
import { badValue, MongoServerError } from './mongo-error.js';
import { MINGO_OPTIONS } from './query-matcher.js';

const isIndexPart = (p: string): boolean => /^\d+$/.test(p);

/** Resolves the positional forms of an update path (`$`, `$[]`, `$[id]`) against one document. */
export class PathResolver {
  private readonly filters = new Map<string, Query>();
  private readonly usedFilters = new Set<string>();

  constructor(private readonly doc: Doc, private readonly query: Doc | undefined, arrayFilters: Doc[] | undefined) {
    for (const f of arrayFilters ?? []) {
      const ids = new Set(Object.keys(f).map((k) => k.split('.')[0] as string));
      if (ids.size !== 1) throw new MongoServerError('FailedToParse', 'Each array filter must use a single top-level field name');
      const [id] = [...ids] as [string];
      if (this.filters.has(id)) throw new MongoServerError('FailedToParse', `Found multiple array filters with the same top-level field name ${id}`);
      this.filters.set(id, new Query(toView(f) as Doc, MINGO_OPTIONS));
    }
  }

  /** Every concrete path (list of parts) the update path designates in this document. */
  expand(path: string): string[][] {
    let paths: string[][] = [[]];
    for (const part of path.split('.')) {
      if (part === '$') {
        paths = paths.map((p) => [...p, String(this.positionalIndex(p))]);
      } else if (part.startsWith('$[')) {
        const id = part.slice(2, -1);
        paths = paths.flatMap((p) => {
          const arr = getPath(this.doc, p.join('.'));
          if (!Array.isArray(arr)) {
            throw badValue(`The path '${p.join('.')}' must exist in the document in order to apply array updates.`);
          }
          return arr.flatMap((el, i) => (id === '' || this.elementMatches(id, el, path) ? [[...p, String(i)]] : []));
        });
      } else {
        paths = paths.map((p) => [...p, part]);
      }
    }
    return paths;
  }

  /** Array filter identifiers never used by a path; MongoDB rejects the update then. */
  unusedFilters(): string[] {
    return [...this.filters.keys()].filter((id) => !this.usedFilters.has(id));
  }

  private elementMatches(id: string, el: unknown, path: string): boolean {
    const q = this.filters.get(id);
    if (!q) throw badValue(`No array filter found for identifier '${id}' in path '${path}'`);
    this.usedFilters.add(id);
    return q.test({ [id]: toView(el) });
  }

  /** The index of the first array element the query matched, for the positional `$`. */
  private positionalIndex(prefix: string[]): number {
    const arrayPath = prefix.join('.');
    const arr = getPath(this.doc, arrayPath);
    const notFound = badValue('The positional operator did not find the match needed from the query.');
    if (!Array.isArray(arr) || !this.query) throw notFound;
    const tests: ((el: unknown) => boolean)[] = [];
    collectArrayConditions(this.query, arrayPath, tests);
    if (tests.length === 0) throw notFound;
    const i = arr.findIndex((el) => tests.every((t) => t(el)));
    if (i < 0) throw notFound;
    return i;
  }
}

function collectArrayConditions(query: Doc, arrayPath: string, out: ((el: unknown) => boolean)[]): void {
  for (const [key, cond] of Object.entries(query)) {
    if (key === '$and' && Array.isArray(cond)) {
      for (const sub of cond) if (isPlainObject(sub)) collectArrayConditions(sub, arrayPath, out);
      continue;
    }
    if (key === arrayPath) {
      if (isPlainObject(cond) && isPlainObject(cond.$elemMatch)) {
        const inner = cond.$elemMatch;
        const opsOnly = Object.keys(inner).every((k) => k.startsWith('$'));
        const q = new Query(toView(opsOnly ? { v: inner } : inner) as Doc, MINGO_OPTIONS);
        out.push((el) => q.test((opsOnly ? { v: toView(el) } : toView(el)) as Doc));
      } else {
        const q = new Query({ v: toView(cond) }, MINGO_OPTIONS);
        out.push((el) => q.test({ v: toView(el) }));
      }
    } else if (key.startsWith(`${arrayPath}.`)) {
      const rest = key.slice(arrayPath.length + 1);
      const q = new Query({ [rest]: toView(cond) }, MINGO_OPTIONS);
      out.push((el) => isPlainObject(el) && q.test(toView(el) as Doc));
    }
  }
}

/** The value at a concrete path. */
export function getAt(doc: Doc, parts: string[]): unknown {
  return getPath(doc, parts.join('.'));
}

/** Sets a value at a concrete path, creating intermediate documents as MongoDB does. */
export function setAt(doc: Doc, parts: string[], value: unknown): void {
  let cur: unknown = doc;
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (Array.isArray(cur)) {
      if (!isIndexPart(part)) {
        throw new MongoServerError('PathNotViable', `Cannot create field '${part}' in element {${parts[i - 1] ?? ''}: ${formatValue(cur)}}`);
      }
      const idx = Number(part);
      while (cur.length < idx) cur.push(null);
      if (last) cur[idx] = value;
      else if (cur[idx] === undefined) cur[idx] = {};
      cur = cur[idx];
    } else if (isPlainObject(cur)) {
      if (last) cur[part] = value;
      else if (cur[part] === undefined) cur[part] = {};
      cur = cur[part];
    } else {
      throw new MongoServerError('PathNotViable', `Cannot create field '${part}' in element {${parts[i - 1] ?? ''}: ${formatValue(cur)}}`);
    }
  });
}

/** Removes a field; an array element is set to null instead, as `$unset` does. */
export function unsetAt(doc: Doc, parts: string[]): boolean {
  const parent = parts.length === 1 ? doc : getPath(doc, parts.slice(0, -1).join('.'));
  const last = parts[parts.length - 1] as string;
  if (Array.isArray(parent) && isIndexPart(last)) {
    const idx = Number(last);
    if (idx >= parent.length || parent[idx] === null) return false;
    parent[idx] = null;
    return true;
  }
  if (isPlainObject(parent) && last in parent) {
    delete parent[last];
    return true;
  }
  return false;
}
