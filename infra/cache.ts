/**
 * Where things live on disk.
 *
 * Two places, kept apart on purpose:
 * - the cache (per user, shared by every clone): tools that are slow to build and
 *   identical for every checkout — the Temporal CLI, FerretDB, the Python tool runtime;
 * - the data dir (per clone, git-ignored): one running instance's state — Temporal's
 *   SQLite file, FerretDB's files, the registered tools. Deleting it resets the instance.
 */
import os from 'node:os';
import path from 'node:path';

export function toolsmithCacheDir(): string {
  const env = process.env;
  if (env.TOOLSMITH_CACHE_DIR) return path.resolve(env.TOOLSMITH_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return path.join(path.resolve(env.XDG_CACHE_HOME), 'toolsmith');
  return path.join(os.homedir(), '.cache', 'toolsmith');
}

/** Directory the provisioned binaries (temporal, ferretdb) are installed into. */
export function cacheBinDir(): string {
  return path.join(toolsmithCacheDir(), 'bin');
}

/** The venv generated Python tools run in. */
export function defaultToolRuntimeDir(): string {
  return path.join(toolsmithCacheDir(), 'python', 'venv');
}

/** The repository root: this file sits in `<root>/infra/`. */
export function projectRoot(): string {
  return path.resolve(__dirname, '..');
}

export function defaultDataDir(): string {
  const explicit = process.env.TOOLSMITH_DATA_DIR;
  if (explicit) return path.resolve(explicit);
  return path.join(projectRoot(), '.data');
}
