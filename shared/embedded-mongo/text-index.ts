import { isPlainObject, type Doc } from './bson-order.js';
import { pathValues } from './document-paths.js';
import type { IndexSpec } from './index-spec.js';

const STOP_WORDS = new Set(
  ('a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can did do does doing down during each few for from further had has have having he her here hers herself him himself ' +
    'his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ' +
    'ourselves out over own same she should so some such than that the their theirs them themselves then there these they ' +
    'this those through to too under until up very was we were what when where which while who whom why will with you your ' +
    'yours yourself yourselves').split(' '),
);

/** A light English suffix stemmer, so that "messages" finds "message" as MongoDB's does. */
export function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 4 && /(sh|ch|x|ss)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/** Splits text into lowercase words, dropping stop words; `keepStopWords` for phrase checks. */
export function tokenize(text: string, keepStopWords = false): string[] {
  const words = text.toLowerCase().split(/[^\p{L}\p{N}_']+/u).map((w) => w.replace(/^'+|'+$/g, '')).filter(Boolean);
  return keepStopWords ? words : words.filter((w) => !STOP_WORDS.has(w)).map(stem);
}

/** A parsed `$text.$search` string. */
export interface TextQuery {
  terms: string[];
  negated: string[];
  phrases: string[];
  negatedPhrases: string[];
}

/** Parses `$search`: words, "quoted phrases", and `-negated` words or phrases. */
export function parseTextSearch(search: string): TextQuery {
  const q: TextQuery = { terms: [], negated: [], phrases: [], negatedPhrases: [] };
  const re = /(-?)"([^"]*)"|(-?)([^\s"]+)/g;
  for (const m of search.matchAll(re)) {
    if (m[2] !== undefined) {
      const phrase = m[2].toLowerCase().trim();
      if (!phrase) continue;
      (m[1] ? q.negatedPhrases : q.phrases).push(phrase);
      if (!m[1]) q.terms.push(...tokenize(phrase));
    } else if (m[4] !== undefined) {
      const words = tokenize(m[4]);
      (m[3] ? q.negated : q.terms).push(...words);
    }
  }
  q.terms = [...new Set(q.terms)];
  return q;
}

interface Posting {
  /** Weighted score contribution of one term in one document. */
  score: number;
}

/**
 * The collection's single text index: an inverted index from stemmed term to the
 * records containing it, with a per-record score in MongoDB's spirit
 * (weight × (0.5 + 0.5 × frequency / field length), summed over fields).
 */
export class TextIndex {
  private readonly postings = new Map<string, Map<number, Posting>>();
  private readonly termsByRecord = new Map<number, string[]>();
  readonly weights: Record<string, number>;

  constructor(readonly spec: IndexSpec) {
    this.weights = spec.weights ?? {};
  }

  get name(): string {
    return this.spec.name;
  }

  /** The text a field path holds, strings only (arrays of strings fan out). */
  private fieldTexts(doc: Doc, field: string): string[] {
    if (field === '$**') return collectStrings(doc);
    return pathValues(doc, field).values.filter((v): v is string => typeof v === 'string');
  }

  /** Indexes (or re-indexes) one record. */
  set(recordId: number, doc: Doc): void {
    this.remove(recordId);
    const scores = new Map<string, number>();
    for (const [field, weight] of Object.entries(this.weights)) {
      for (const text of this.fieldTexts(doc, field)) {
        const tokens = tokenize(text);
        const freq = new Map<string, number>();
        for (const t of tokens) freq.set(t, (freq.get(t) ?? 0) + 1);
        for (const [t, f] of freq) scores.set(t, (scores.get(t) ?? 0) + weight * (0.5 + (0.5 * f) / tokens.length));
      }
    }
    for (const [term, score] of scores) {
      let p = this.postings.get(term);
      if (!p) this.postings.set(term, (p = new Map()));
      p.set(recordId, { score });
    }
    this.termsByRecord.set(recordId, [...scores.keys()]);
  }

  remove(recordId: number): void {
    for (const t of this.termsByRecord.get(recordId) ?? []) {
      const p = this.postings.get(t);
      p?.delete(recordId);
      if (p && p.size === 0) this.postings.delete(t);
    }
    this.termsByRecord.delete(recordId);
  }

  /**
   * Records matching any positive term, with their scores. Phrase and negation checks
   * need the document text and are applied by `matchesPhrases`.
   */
  search(q: TextQuery): Map<number, number> {
    const out = new Map<number, number>();
    for (const term of q.terms) {
      for (const [rid, p] of this.postings.get(term) ?? []) out.set(rid, (out.get(rid) ?? 0) + p.score);
    }
    for (const term of q.negated) for (const rid of this.postings.get(term)?.keys() ?? []) out.delete(rid);
    return out;
  }

  /** Whether a document contains every required phrase and none of the negated ones. */
  matchesPhrases(doc: Doc, q: TextQuery): boolean {
    if (q.phrases.length === 0 && q.negatedPhrases.length === 0) return true;
    const text = Object.keys(this.weights).flatMap((f) => this.fieldTexts(doc, f)).join('\n').toLowerCase();
    return q.phrases.every((p) => text.includes(p)) && !q.negatedPhrases.some((p) => text.includes(p));
  }
}

function collectStrings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(collectStrings);
  if (isPlainObject(v)) return Object.values(v).flatMap(collectStrings);
  return [];
}
