/**
 * Provisioning FerretDB, the MongoDB-compatible server that stores Toolsmith's
 * data in SQLite when no MONGODB_URL is given. Version 1.x because it has the
 * SQLite backend; 2.x needs PostgreSQL with the DocumentDB extension.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { cacheBinDir } from './cache';
import { goBuildFromModuleSource } from './go-toolchain';
import { resolveBinary } from './resolve-binary';
import type { Log } from './log';
import { probeCommand } from './run-command';

const FERRETDB_VERSION = 'v1.24.2';
const DISPLAY_NAME = 'FerretDB';

interface SourcePatch {
  file: string;
  from: string;
  to: string;
}

const SQLITE_BACKEND = path.join('internal', 'backends', 'sqlite');

/**
 * Our two changes to FerretDB's SQLite backend, both in how it finds a document by `_id`:
 *
 * - It looks up `_ferretdb_sjson->'$._id'` while its `_id` index is on `_ferretdb_sjson->"_id"`,
 *   the same value written another way, so SQLite never used the index: every lookup by `_id`
 *   scanned the collection (7 ms at 1,000 sessions, growing with the data).
 * - It hands `_id` to SQL only when the filter has no other field, so `{ _id, revision: { $lt } }`
 *   decoded every document in Go. Every command filters the documents it gets again, so the
 *   `_id` may go to SQL whatever else the filter says (when it says `_id` once).
 */
const SOURCE_PATCHES: SourcePatch[] = [
  {
    file: path.join(SQLITE_BACKEND, 'metadata', 'metadata.go'),
    from: `IDColumn = DefaultColumn + "->'$._id'"`,
    to: `IDColumn = DefaultColumn + "->'_id'"`,
  },
  ...['Query', 'Explain'].map((method) => ({
    file: path.join(SQLITE_BACKEND, 'collection.go'),
    from: `// TODO https://github.com/FerretDB/FerretDB/issues/3235\n\tif params.Filter.Len() == 1 {`,
    to: `// TODO https://github.com/FerretDB/FerretDB/issues/3235\n\tif namesIDOnce(params.Filter) { // ${method}`,
  })),
  {
    file: path.join(SQLITE_BACKEND, 'collection.go'),
    from: `// check interfaces\n`,
    to: `// namesIDOnce reports whether the filter has one _id field (a Toolsmith patch).
func namesIDOnce(filter *types.Document) bool {
\tcount := 0
\tfor _, key := range filter.Keys() {
\t\tif key == "_id" {
\t\t\tcount++
\t\t}
\t}
\treturn count == 1
}

// check interfaces\n`,
  },
];
/** what `ferretdb --version` reports for our build */
const BUILT_VERSION = `${FERRETDB_VERSION}-toolsmith.2`;

/**
 * FerretDB embeds build/version/version.txt, which its release tooling generates
 * and the module zip lacks; without it the binary panics at startup.
 */
async function prepareSource(sourceDir: string): Promise<void> {
  await fs.writeFile(path.join(sourceDir, 'build', 'version', 'version.txt'), `${BUILT_VERSION}\n`);
  for (const patch of SOURCE_PATCHES) {
    const file = path.join(sourceDir, patch.file);
    const source = await fs.readFile(file, 'utf8');
    // one occurrence at a time: the same text in two places is patched by two entries
    if (!source.includes(patch.from)) throw new Error(`${patch.file} no longer reads as patched here`);
    await fs.writeFile(file, source.replace(patch.from, patch.to));
  }
}

/** Also catches a binary built without version.txt (it panics) or of another version. */
async function checkFerretDb(binaryPath: string): Promise<string | undefined> {
  const probe = await probeCommand(binaryPath, ['--version']);
  if (!probe.ok) return probe.detail.split('\n')[0];
  if (!probe.stdout.includes(`version: ${FERRETDB_VERSION}`)) return `not FerretDB ${FERRETDB_VERSION}`;
  return undefined;
}

export function provisionFerretDb(log: Log): Promise<string> {
  // A directory per build, so a cached build of the unpatched release is not taken for this one;
  // the file keeps its name, which is what process listings show.
  const cachedPath = path.join(cacheBinDir(), `ferretdb-${BUILT_VERSION}`, 'ferretdb');
  const build = async (): Promise<string> => {
    await goBuildFromModuleSource({
      modulePath: 'github.com/FerretDB/FerretDB',
      version: FERRETDB_VERSION,
      packageDir: './cmd/ferretdb',
      finalPath: cachedPath,
      displayName: DISPLAY_NAME,
      alternative: 'set FERRETDB_PATH to a FerretDB 1.x binary (or MONGODB_URL to use an existing MongoDB)',
      prepareSource,
      log,
    });
    return cachedPath;
  };
  // No PATH lookup: a `ferretdb` there is likely 2.x, which cannot use SQLite.
  return resolveBinary(
    { displayName: DISPLAY_NAME, envVar: 'FERRETDB_PATH', cachedPath, check: checkFerretDb, obtain: build },
    log,
  );
}
