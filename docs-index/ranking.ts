/**
 * Ranking documentation entries against queries: BM25 (MiniSearch) over the entry's name words,
 * signature and docstring, with API names written in a query looked up directly first.
 */
import MiniSearch, { type SearchResult } from 'minisearch';
import type { DocSnippet } from '../contract';
import { namesInQuery, processTerm, queryWords, tokenize } from './terms';

export type DocKind = 'module' | 'class' | 'function' | 'method' | 'property';

/** One documented object of the runtime, as `extract_docs.py` reports it. */
export interface DocEntry {
  /** distribution name, lower case: `rdkit`, `numpy`, `pillow` */
  package: string;
  module: string;
  /** fully qualified dotted name, the shortest public path to the object */
  name: string;
  kind: DocKind;
  /** parameter list and return annotation, e.g. `(a, axis=None)` (the name is not repeated) */
  signature: string;
  doc: string;
  /** other public paths to the same object (re-exports) */
  aliases: string[];
}

/**
 * How a result was found: the query named it (`exact`: its full dotted name or an alias; `suffix`:
 * the end of it, like `MolWt` or `Chem.MolFromSmiles`; `partial`: the end of a name whose start
 * did not resolve, like `np.mean`), or by the words of its documentation (`text`).
 */
export type MatchKind = 'exact' | 'suffix' | 'partial' | 'text';

/** A search result: a DocSnippet for the implement prompt, plus where it comes from and why. */
export interface DocSearchResult extends DocSnippet {
  package: string;
  kind: DocKind;
  match: MatchKind;
  /** the BM25 score of the entry for the query (0 when only its name matched) */
  score: number;
  /** the share of the query's content words the entry matched, 0..1 */
  termCoverage: number;
  /** whether the result counts as documentation for its package: see `isRelevant` */
  relevant: boolean;
}

/**
 * A result the query named (`exact`, `suffix`) is relevant. Any other result is relevant when it
 * matched most of the query's content words: two of two, two of three, three of four or five.
 * BM25 scores are not comparable across queries (they grow with the rarity and the number of the
 * query's terms), so a fixed score threshold would be too strict for short queries or too lax for
 * long ones; the share of the words answered is what separates "the docs of the thing asked for"
 * from "a docstring that happens to contain one of the words" — where the implementer would be
 * guessing. A `partial` name match is held to the same rule: `rdkit.Chem.MolWt` (wrong module,
 * right function) passes, `scipy.stats.mean` does not make `numpy.mean` documentation of scipy.
 */
export const MIN_TERM_COVERAGE = 0.6;

export function isRelevant(match: MatchKind, termCoverage: number): boolean {
  return match === 'exact' || match === 'suffix' || termCoverage >= MIN_TERM_COVERAGE;
}

interface IndexedFields {
  id: number;
  leaf: string;
  path: string;
  signature: string;
  summary: string;
  body: string;
}

const KIND_BOOST: Record<DocKind, number> = {
  function: 1,
  class: 1,
  method: 0.9,
  module: 0.6,
  property: 0.6,
};

const NAME_RANK: Record<Exclude<MatchKind, 'text'>, number> = { exact: 0, suffix: 1, partial: 2 };

/** Common import aliases, so `np.mean` resolves like `numpy.mean`. */
const IMPORT_ALIASES = new Map([['np', 'numpy']]);

function splitDoc(doc: string): { summary: string; body: string } {
  const paragraph = doc.split(/\n\s*\n/, 1)[0] ?? '';
  const summary = paragraph.slice(0, 400);
  return { summary, body: doc.slice(summary.length) };
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export interface RankOptions {
  /** restrict to these distributions (already normalized); undefined: all */
  packages?: ReadonlySet<string>;
  /** results per query before merging */
  perQuery: number;
}

export class DocsRanker {
  private readonly search: MiniSearch<IndexedFields>;
  private readonly byName = new Map<string, number[]>();
  private readonly bySuffix = new Map<string, number[]>();
  private readonly bySuffixLower = new Map<string, number[]>();

  constructor(readonly entries: readonly DocEntry[]) {
    this.search = new MiniSearch<IndexedFields>({
      fields: ['leaf', 'path', 'signature', 'summary', 'body'],
      storeFields: [],
      tokenize,
      processTerm,
    });
    const documents: IndexedFields[] = entries.map((entry, id) => {
      const names = [entry.name, ...entry.aliases];
      const leaves = new Set(names.map((name) => name.slice(name.lastIndexOf('.') + 1)));
      const { summary, body } = splitDoc(entry.doc);
      for (const name of names) {
        pushTo(this.byName, name, id);
        const parts = name.split('.');
        for (let start = 1; start < parts.length; start += 1) {
          const suffix = parts.slice(start).join('.');
          pushTo(this.bySuffix, suffix, id);
          pushTo(this.bySuffixLower, suffix.toLowerCase(), id);
        }
      }
      return {
        id,
        leaf: [...leaves].join(' '),
        path: entry.module,
        signature: entry.signature,
        summary,
        body: body.slice(0, 1000),
      };
    });
    this.search.addAll(documents);
  }

  /** Results for one query, best first: named entries, then BM25 by text. */
  rank(query: string, options: RankOptions): DocSearchResult[] {
    const allowed = (id: number) => !options.packages || options.packages.has(this.entries[id]!.package);
    const words = queryWords(query);
    const hits = this.search.search(query, {
      boost: { leaf: 4, summary: 2, path: 1, signature: 0.5, body: 1 },
      prefix: (term) => term.length >= 5,
      fuzzy: (term) => (term.length >= 7 ? 1 : false),
      weights: { prefix: 0.3, fuzzy: 0.2 },
      filter: (result) => allowed(result.id as number),
      boostDocument: (id) => KIND_BOOST[this.entries[id as number]!.kind] ?? 1,
    });
    const textById = new Map<number, SearchResult>(hits.map((hit) => [hit.id as number, hit]));

    const named = new Map<number, Exclude<MatchKind, 'text'>>();
    for (const name of namesInQuery(query)) {
      for (const [id, match] of this.lookupName(name)) {
        if (!allowed(id)) continue;
        const previous = named.get(id);
        if (previous === undefined || NAME_RANK[match] < NAME_RANK[previous]) named.set(id, match);
      }
    }
    const namedIds = [...named.keys()].sort((a, b) => {
      const byMatch = NAME_RANK[named.get(a)!] - NAME_RANK[named.get(b)!];
      if (byMatch) return byMatch;
      const byDepth = this.entries[a]!.name.split('.').length - this.entries[b]!.name.split('.').length;
      if (byDepth) return byDepth;
      return (textById.get(b)?.score ?? 0) - (textById.get(a)?.score ?? 0);
    });

    const results: DocSearchResult[] = [];
    const taken = new Set<number>();
    const add = (id: number, match: MatchKind) => {
      if (taken.has(id) || results.length >= options.perQuery) return;
      taken.add(id);
      const hit = textById.get(id);
      const matched = new Set(hit?.queryTerms ?? []);
      const answered = words.filter((terms) => terms.some((term) => matched.has(term))).length;
      const termCoverage = words.length ? answered / words.length : 0;
      const entry = this.entries[id]!;
      results.push({
        query,
        name: entry.name,
        signature: entry.signature,
        doc: entry.doc,
        package: entry.package,
        kind: entry.kind,
        match,
        score: hit?.score ?? 0,
        termCoverage,
        relevant: isRelevant(match, termCoverage),
      });
    };
    for (const id of namedIds) add(id, named.get(id)!);
    for (const hit of hits) add(hit.id as number, 'text');
    return results;
  }

  /** Entries a name in a query refers to, with how well. */
  private lookupName(name: string): Array<[number, Exclude<MatchKind, 'text'>]> {
    const parts = name.split('.');
    const alias = IMPORT_ALIASES.get(parts[0]!);
    const spelled = alias ? [alias, ...parts.slice(1)].join('.') : name;
    const exact = this.byName.get(spelled);
    if (exact) return exact.map((id) => [id, 'exact']);
    const suffix = this.bySuffix.get(spelled) ?? this.bySuffixLower.get(spelled.toLowerCase());
    if (suffix) return suffix.map((id) => [id, 'suffix']);
    // A path that does not exist (`rdkit.Chem.MolWt`, `scipy.stats.mean`): its shorter ends.
    for (let start = 1; start < parts.length; start += 1) {
      const rest = parts.slice(start).join('.');
      const found = this.bySuffix.get(rest);
      if (found) return found.map((id) => [id, 'partial']);
    }
    return [];
  }
}

/**
 * Interleaves per-query results — each query's best unseen result, then each query's next one —
 * so every query is answered before any gets a second result; repeats are dropped.
 */
export function mergeResults(perQuery: DocSearchResult[][], limit: number): DocSearchResult[] {
  const merged: DocSearchResult[] = [];
  const seen = new Set<string>();
  const cursors = perQuery.map(() => 0);
  let progressed = true;
  while (merged.length < limit && progressed) {
    progressed = false;
    perQuery.forEach((results, index) => {
      if (merged.length >= limit) return;
      let cursor = cursors[index]!;
      while (cursor < results.length && seen.has(results[cursor]!.name)) cursor += 1;
      const result = results[cursor];
      cursors[index] = cursor + 1;
      if (!result) return;
      seen.add(result.name);
      merged.push(result);
      progressed = true;
    });
  }
  return merged;
}
