/**
 * The docs index: the API documentation of the packages installed in the tool runtime, extracted
 * once per runtime version by `extract_docs.py` (run with the runtime's own Python), cached on
 * disk, and ranked against the plan's documentation queries.
 *
 *   const docs = createDocsIndex({ pythonPath, cacheDir: toolsmithCacheDir(), packages: runtimePackageNames() });
 *   const found = await docs.search(plan.docQueries, { packages: plan.dependencies });
 *   const missing = missingDependencyDocs(found, plan.dependencies); // non-empty → INSUFFICIENT_API_SPECS
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { DocSnippet } from '../contract';
import { DocsRanker, mergeResults, type DocEntry, type DocSearchResult } from './ranking';

export type { DocEntry, DocKind, DocSearchResult, MatchKind } from './ranking';
export { MIN_TERM_COVERAGE, isRelevant } from './ranking';

export const EXTRACT_SCRIPT_PATH = path.join(__dirname, 'extract_docs.py');

/** Bumped when the cached file's meaning changes in a way the extractor's own hash does not show. */
const CACHE_FORMAT = 1;
const DEFAULT_LIMIT = 8;
const PER_QUERY = 5;
const MAX_DOC_CHARS = 1500;

export interface DocsIndexOptions {
  /** the tool runtime's python (the venv's `bin/python`) */
  pythonPath: string;
  /** the per-user cache: the index is kept in `<cacheDir>/docs-index/<key>.json` */
  cacheDir: string;
  /** distribution names to index, e.g. `runtimePackageNames()` */
  packages: string[];
  /** mixed into the cache key, e.g. the hash of the runtime's requirements file */
  requirementsHash?: string;
  /** the extraction's time limit (default 180 s; it takes ≈ 1.5 s on the pinned runtime) */
  extractTimeoutMs?: number;
}

export interface SearchOptions {
  /**
   * only entries of these packages: distribution names (`pillow`) or import names (`PIL`,
   * `rdkit.Chem`), any case; omitted or empty: every indexed package
   */
  packages?: string[];
  /** at most this many results over all queries (default 8, or one per query when there are more) */
  limit?: number;
}

export interface DocsIndexInfo {
  key: string;
  /** the cached index file */
  file: string;
  entries: number;
  bytes: number;
  /** whether this call ran the extraction (false: the cached file was reused) */
  extracted: boolean;
  /** how long this ensureBuilt took: probe, extraction or read, and indexing */
  buildMs: number;
  /** distribution → version, of the indexed packages */
  packages: Record<string, string>;
}

export interface DocsIndex {
  /** Extracts (or loads from the cache) and indexes; idempotent, later calls are free. */
  ensureBuilt(): Promise<DocsIndexInfo>;
  /**
   * For each query its best results (named objects first, then BM25), interleaved across
   * queries, deduplicated by name, capped by `limit`. Each query keeps its best result when
   * `limit` allows one per query.
   */
  search(queries: string[], options?: SearchOptions): Promise<DocSearchResult[]>;
  /** Indexed entries per requested package (0 for a package with nothing indexed). */
  coverage(packages: string[]): Promise<Record<string, number>>;
  /** The distribution a dependency name refers to (`PIL` → `pillow`), if it is indexed. */
  resolvePackage(name: string): Promise<string | undefined>;
}

export class DocsIndexError extends Error {
  override name = 'DocsIndexError';
}

/** What `extract_docs.py --versions` reports. */
interface RuntimeVersions {
  python: string;
  implementation: string;
  distributions: Record<string, string>;
}

/** What `extract_docs.py DIST...` writes. */
interface ExtractedDocs extends RuntimeVersions {
  packages: Record<string, { version: string; importNames: string[] }>;
  entries: DocEntry[];
  stats: { modules: number; entries: number; totalSeconds: number; truncated: boolean };
  errors: Array<{ module: string; error: string }>;
}

/** Distribution names compare like pip compares them: case, `-`, `_` and `.` do not matter. */
export function normalizePackageName(name: string): string {
  return name
    .trim()
    .split(/[<>=!~;[ ]/)[0]!
    .replace(/[-_.]+/g, '-')
    .toLowerCase();
}

let extractorHash: string | undefined;
function extractorDigest(): string {
  extractorHash ??= createHash('sha256').update(readFileSync(EXTRACT_SCRIPT_PATH)).digest('hex');
  return extractorHash;
}

/** Runs our own extractor with the runtime's python: trusted code, so no sandbox, but a cleared environment and a time limit. */
function runExtractor(pythonPath: string, args: string[], timeoutMs: number): Promise<string> {
  const env = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: os.homedir(),
    LANG: 'C.UTF-8',
  };
  // -I: ignore PYTHON* variables and the user site; -B: write no .pyc into the runtime.
  const argv = ['-I', '-B', EXTRACT_SCRIPT_PATH, ...args];
  return new Promise((resolve, reject) => {
    execFile(
      pythonPath,
      argv,
      { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const tail = stderr.trim().slice(-1500);
        const why =
          error.killed || error.signal === 'SIGKILL'
            ? `timed out after ${Math.round(timeoutMs / 1000)} s`
            : `failed (${error.code ?? error.signal ?? error.message})`;
        reject(
          new DocsIndexError(
            `Extracting the API documentation of the tool runtime with ${pythonPath} ${why}` +
              (tail ? `:\n${tail}` : '.'),
          ),
        );
      },
    );
  });
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new DocsIndexError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

function isExtractedDocs(value: unknown): value is ExtractedDocs {
  const docs = value as ExtractedDocs;
  return (
    typeof docs === 'object' &&
    docs !== null &&
    Array.isArray(docs.entries) &&
    typeof docs.packages === 'object' &&
    docs.entries.every((entry) => typeof entry?.name === 'string' && typeof entry.package === 'string')
  );
}

interface Loaded {
  info: DocsIndexInfo;
  ranker: DocsRanker;
  /** import name, dist name or dotted module prefix (lower case) → distribution */
  packageNames: Map<string, string>;
  counts: Map<string, number>;
}

export function createDocsIndex(options: DocsIndexOptions): DocsIndex {
  const timeoutMs = options.extractTimeoutMs ?? 180_000;
  const requested = [...new Set(options.packages.map(normalizePackageName))].sort();
  const indexDir = path.join(options.cacheDir, 'docs-index');
  let loading: Promise<Loaded> | undefined;

  async function cacheKey(): Promise<string> {
    const versions = parseJson<RuntimeVersions>(
      await runExtractor(options.pythonPath, ['--versions'], Math.min(timeoutMs, 30_000)),
      'The runtime version report',
    );
    const material = JSON.stringify({
      format: CACHE_FORMAT,
      extractor: extractorDigest(),
      maxDocChars: MAX_DOC_CHARS,
      python: `${versions.implementation} ${versions.python}`,
      distributions: versions.distributions,
      packages: requested,
      requirementsHash: options.requirementsHash ?? null,
    });
    return createHash('sha256').update(material).digest('hex').slice(0, 32);
  }

  async function readCached(file: string): Promise<ExtractedDocs | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const docs: unknown = JSON.parse(text);
      return isExtractedDocs(docs) ? docs : undefined; // unreadable: rebuild over it
    } catch {
      return undefined;
    }
  }

  async function extractTo(file: string): Promise<ExtractedDocs> {
    await mkdir(indexDir, { recursive: true });
    // Concurrent builders (other workers, other test processes) each write their own temporary
    // file and rename it into place: readers see a whole file or none, never a partial one.
    const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const budgetSeconds = Math.max(5, Math.floor((timeoutMs * 0.75) / 1000));
      await runExtractor(
        options.pythonPath,
        ['--out', temporary, '--max-doc-chars', String(MAX_DOC_CHARS), '--budget', String(budgetSeconds), ...requested],
        timeoutMs,
      );
      const docs = parseJson<unknown>(await readFile(temporary, 'utf8'), 'The extracted documentation');
      if (!isExtractedDocs(docs))
        throw new DocsIndexError('The extracted documentation does not have the expected shape.');
      if (docs.stats.truncated) {
        // An incomplete index would be cached for good: fail rather than keep it.
        throw new DocsIndexError(
          `Extracting the API documentation ran out of its ${budgetSeconds} s budget after ${docs.stats.modules} modules.`,
        );
      }
      await rename(temporary, file);
      return docs;
    } finally {
      await rm(temporary, { force: true });
    }
  }

  async function load(): Promise<Loaded> {
    const started = performance.now();
    const key = await cacheKey();
    const file = path.join(indexDir, `${key}.json`);
    let docs = await readCached(file);
    const extracted = docs === undefined;
    docs ??= await extractTo(file);

    const packageNames = new Map<string, string>();
    const counts = new Map<string, number>();
    for (const [dist, described] of Object.entries(docs.packages)) {
      packageNames.set(dist, dist);
      for (const importName of described.importNames) packageNames.set(importName.toLowerCase(), dist);
    }
    for (const entry of docs.entries) counts.set(entry.package, (counts.get(entry.package) ?? 0) + 1);
    const ranker = new DocsRanker(docs.entries);
    const info: DocsIndexInfo = {
      key,
      file,
      entries: docs.entries.length,
      bytes: (await stat(file)).size,
      extracted,
      buildMs: Math.round(performance.now() - started),
      packages: Object.fromEntries(Object.entries(docs.packages).map(([dist, d]) => [dist, d.version])),
    };
    return { info, ranker, packageNames, counts };
  }

  function loaded(): Promise<Loaded> {
    loading ??= load().catch((error: unknown) => {
      loading = undefined; // let a later call try again
      throw error;
    });
    return loading;
  }

  function resolveIn(index: Loaded, name: string): string | undefined {
    const normalized = normalizePackageName(name);
    const direct = index.packageNames.get(normalized);
    if (direct) return direct;
    // `rdkit.Chem`, `PIL.Image`: the top-level import name decides.
    const top = name.trim().split('.')[0]!.toLowerCase();
    return index.packageNames.get(top);
  }

  return {
    async ensureBuilt() {
      return (await loaded()).info;
    },

    async search(queries, searchOptions = {}) {
      const index = await loaded();
      const wanted = searchOptions.packages?.length
        ? new Set(searchOptions.packages.map((name) => resolveIn(index, name)).filter((d): d is string => !!d))
        : undefined;
      const cleaned = [...new Set(queries.map((query) => query.trim()).filter(Boolean))];
      const limit = searchOptions.limit ?? Math.max(DEFAULT_LIMIT, cleaned.length);
      const perQuery = cleaned.map((query) => index.ranker.rank(query, { packages: wanted, perQuery: PER_QUERY }));
      return mergeResults(perQuery, limit);
    },

    async coverage(packages) {
      const index = await loaded();
      return Object.fromEntries(
        packages.map((name) => {
          const dist = resolveIn(index, name);
          return [name, dist ? (index.counts.get(dist) ?? 0) : 0];
        }),
      );
    },

    async resolvePackage(name) {
      return resolveIn(await loaded(), name);
    },
  };
}

/**
 * The required packages for which `results` hold no relevant documentation: the tool must then
 * fail with INSUFFICIENT_API_SPECS rather than be implemented by guessing.
 *
 * A result documents a required package when it belongs to it — by distribution (`pillow`) or by
 * the top-level import name its dotted name starts with (`PIL`) — and is relevant: the query named
 * it, or it matched most of the query's words (see `MIN_TERM_COVERAGE`). Plain DocSnippets
 * without the search's annotations count when their name belongs to the package.
 */
export function missingDependencyDocs(results: readonly DocSnippet[], requiredPackages: readonly string[]): string[] {
  const covered = new Set<string>();
  for (const result of results) {
    const annotated = result as Partial<DocSearchResult>;
    if (annotated.relevant === false) continue;
    if (annotated.package) covered.add(normalizePackageName(annotated.package));
    covered.add(normalizePackageName(result.name.split('.')[0]!));
  }
  return requiredPackages.filter((required) => {
    const normalized = normalizePackageName(required);
    const top = normalizePackageName(required.trim().split('.')[0]!);
    return !covered.has(normalized) && !covered.has(top);
  });
}
