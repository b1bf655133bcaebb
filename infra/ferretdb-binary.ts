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

/**
 * Our one change to FerretDB: its SQLite backend looks a document up by `_ferretdb_sjson->'$._id'`
 * while its `_id` index is on `_ferretdb_sjson->"_id"`, the same value written another way, so
 * SQLite never uses the index and every lookup by _id scans the collection (7 ms at 1,000
 * sessions, growing with the data). With the index's spelling SQLite searches it.
 */
const ID_LOOKUP_PATCH = {
  label: 'toolsmith-id-index',
  file: path.join('internal', 'backends', 'sqlite', 'metadata', 'metadata.go'),
  from: `IDColumn = DefaultColumn + "->'$._id'"`,
  to: `IDColumn = DefaultColumn + "->'_id'"`,
};
/** what `ferretdb --version` reports for our build */
const BUILT_VERSION = `${FERRETDB_VERSION}-${ID_LOOKUP_PATCH.label}`;

/**
 * FerretDB embeds build/version/version.txt, which its release tooling generates
 * and the module zip lacks; without it the binary panics at startup.
 */
async function prepareSource(sourceDir: string): Promise<void> {
  await fs.writeFile(path.join(sourceDir, 'build', 'version', 'version.txt'), `${BUILT_VERSION}\n`);
  const patched = path.join(sourceDir, ID_LOOKUP_PATCH.file);
  const source = await fs.readFile(patched, 'utf8');
  if (!source.includes(ID_LOOKUP_PATCH.from))
    throw new Error(`${ID_LOOKUP_PATCH.file} no longer reads as patched here`);
  await fs.writeFile(patched, source.replace(ID_LOOKUP_PATCH.from, ID_LOOKUP_PATCH.to));
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
