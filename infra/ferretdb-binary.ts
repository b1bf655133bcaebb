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
 * FerretDB embeds build/version/version.txt, which its release tooling generates
 * and the module zip lacks; without it the binary panics at startup.
 */
async function writeVersionFile(sourceDir: string): Promise<void> {
  await fs.writeFile(path.join(sourceDir, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
}

/** Also catches a binary built without version.txt (it panics) or of another version. */
async function checkFerretDb(binaryPath: string): Promise<string | undefined> {
  const probe = await probeCommand(binaryPath, ['--version']);
  if (!probe.ok) return probe.detail.split('\n')[0];
  if (!probe.stdout.includes(`version: ${FERRETDB_VERSION}`)) return `not FerretDB ${FERRETDB_VERSION}`;
  return undefined;
}

export function provisionFerretDb(log: Log): Promise<string> {
  const cachedPath = path.join(cacheBinDir(), 'ferretdb');
  const build = async (): Promise<string> => {
    await goBuildFromModuleSource({
      modulePath: 'github.com/FerretDB/FerretDB',
      version: FERRETDB_VERSION,
      packageDir: './cmd/ferretdb',
      finalPath: cachedPath,
      displayName: DISPLAY_NAME,
      alternative: 'set FERRETDB_PATH to a FerretDB 1.x binary (or MONGODB_URL to use an existing MongoDB)',
      prepareSource: writeVersionFile,
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
