/**
 * Building Go binaries into the cache. Go's module and build caches are kept under
 * the Toolsmith cache too, so a rebuild after a version bump reuses the downloads
 * and compiled packages, and nothing lands in the user's own GOPATH.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { installBuiltFile } from './atomic-fs';
import { toolsmithCacheDir } from './cache';
import { findOnPath } from './executables';
import type { Log } from './log';
import { probeCommand, runCommand } from './run-command';
import { SetupError } from './setup-error';

function goEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const goCache = path.join(toolsmithCacheDir(), 'go');
  return {
    ...process.env,
    GOMODCACHE: path.join(goCache, 'mod'),
    GOCACHE: path.join(goCache, 'build'),
    ...extra,
  };
}

/** The `go` binary, or a SetupError naming what to do instead (`alternative`). */
function requireGo(whatFor: string, alternative: string): string {
  const go = findOnPath('go');
  if (!go) {
    throw new SetupError(`Go is needed to build ${whatFor} but \`go\` is not on PATH: install Go, or ${alternative}`);
  }
  return go;
}

export interface GoInstallSpec {
  /** e.g. "github.com/temporalio/cli/cmd/temporal" */
  packagePath: string;
  version: string;
  finalPath: string;
  displayName: string;
  /** Shown when Go is missing: the other way to get this binary. */
  alternative: string;
  log: Log;
}

/** `go install pkg@version`, staged so an interrupted build leaves nothing at `finalPath`. */
export async function goInstall(spec: GoInstallSpec): Promise<void> {
  const go = requireGo(spec.displayName, spec.alternative);
  const binaryName = path.basename(spec.packagePath);
  spec.log(
    `${spec.displayName}: building with go install ${spec.packagePath}@${spec.version} (a few minutes the first time)`,
  );
  await installBuiltFile(spec.finalPath, async (stagingDir) => {
    await runCommand({
      command: go,
      args: ['install', '-trimpath', `${spec.packagePath}@${spec.version}`],
      env: goEnvironment({ GOBIN: stagingDir }),
      activity: `building ${spec.displayName}`,
      log: spec.log,
      outputPrefix: '  go |',
    });
    return path.join(stagingDir, binaryName);
  });
}

export interface GoModuleBuildSpec {
  /** e.g. "github.com/FerretDB/FerretDB" */
  modulePath: string;
  version: string;
  /** Package inside the module, relative, e.g. "./cmd/ferretdb". */
  packageDir: string;
  finalPath: string;
  displayName: string;
  alternative: string;
  /** Adjusts the writable copy of the module's source before building. */
  prepareSource?: (sourceDir: string) => Promise<void>;
  log: Log;
}

/**
 * Downloads a module and builds one of its packages from a writable copy of the source.
 * For modules `go install pkg@version` cannot handle: it asks the proxy for the
 * module's version list (for deprecation notices), which some proxies refuse, and
 * it builds from the read-only module cache, where generated files cannot be added.
 */
export async function goBuildFromModuleSource(spec: GoModuleBuildSpec): Promise<void> {
  const go = requireGo(spec.displayName, spec.alternative);
  const moduleAtVersion = `${spec.modulePath}@${spec.version}`;
  spec.log(`${spec.displayName}: building ${moduleAtVersion} from source (a few minutes the first time)`);

  const download = await probeCommand(go, ['mod', 'download', '-json', moduleAtVersion], {
    env: goEnvironment(),
    cwd: toolsmithCacheDir(), // outside any go.mod, so no project module gets in the way
    timeoutMs: 10 * 60_000,
  });
  const moduleDir = download.ok ? (JSON.parse(download.stdout) as { Dir?: string }).Dir : undefined;
  if (!moduleDir) throw new SetupError(`downloading ${moduleAtVersion} failed: ${download.detail}`);

  await installBuiltFile(spec.finalPath, async (stagingDir) => {
    const sourceDir = path.join(stagingDir, 'source');
    await copyTreeWritable(moduleDir, sourceDir);
    await spec.prepareSource?.(sourceDir);
    const builtFile = path.join(stagingDir, path.basename(spec.finalPath));
    await runCommand({
      command: go,
      // -buildvcs=false: the copy may sit inside some git checkout, whose state is not this module's.
      args: ['build', '-trimpath', '-buildvcs=false', '-o', builtFile, spec.packageDir],
      cwd: sourceDir,
      // -mod=mod lets go fill in a go.sum entry the released module may lack, in our copy only.
      env: goEnvironment({ GOFLAGS: '-mod=mod' }),
      activity: `building ${spec.displayName}`,
      log: spec.log,
      outputPrefix: '  go |',
    });
    return builtFile;
  });
}

/** Copies a directory tree; the copy is writable even though the module cache's files are not. */
async function copyTreeWritable(source: string, destination: string): Promise<void> {
  await fs.mkdir(destination, { recursive: true, mode: 0o755 });
  for (const entry of await fs.readdir(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(destination, entry.name);
    if (entry.isDirectory()) {
      await copyTreeWritable(from, to);
    } else if (entry.isFile()) {
      await fs.copyFile(from, to);
      await fs.chmod(to, 0o644);
    }
  }
}
