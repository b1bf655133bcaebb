/**
 * The one way every provisioned binary is found: an explicit environment variable,
 * then PATH, then the cache, and only then a build or install.
 */
import fs from 'node:fs';
import { findOnPath } from './executables';
import type { Log } from './log';
import { SetupError } from './setup-error';

/** Resolves to undefined when the binary at `path` works, else to what is wrong with it. */
export type BinaryCheck = (path: string) => Promise<string | undefined>;

export interface BinaryRecipe {
  /** For log lines and errors, e.g. "temporal CLI". */
  displayName: string;
  /** An explicit choice: used if set, and an error if it does not work. */
  envVar: string;
  /** Executable name to look for on PATH; omit when a PATH copy may be the wrong variant. */
  pathName?: string;
  /** Where a build puts it; omit for binaries that are installed system-wide. */
  cachedPath?: string;
  check: BinaryCheck;
  /** Builds or installs the binary and returns its path. */
  obtain: () => Promise<string>;
}

export async function resolveBinary(recipe: BinaryRecipe, log: Log): Promise<string> {
  const { displayName, envVar, check } = recipe;
  const say = (line: string): void => log(`${displayName}: ${line}`);

  const explicit = process.env[envVar];
  if (explicit) {
    const problem = await check(explicit);
    if (problem) throw new SetupError(`${envVar}=${explicit} is not a working ${displayName}: ${problem}`);
    say(`${explicit} (from ${envVar})`);
    return explicit;
  }

  const onPath = recipe.pathName ? findOnPath(recipe.pathName) : undefined;
  if (onPath) {
    const problem = await check(onPath);
    if (!problem) {
      say(`${onPath} (on PATH)`);
      return onPath;
    }
    say(`ignoring ${onPath} on PATH: ${problem}`);
  }

  const cached = recipe.cachedPath;
  if (cached && fs.existsSync(cached)) {
    const problem = await check(cached);
    if (!problem) {
      say(`${cached} (cached)`);
      return cached;
    }
    say(`cached ${cached} is unusable (${problem}); replacing it`);
  }

  const startedAt = Date.now();
  const obtained = await recipe.obtain();
  const problem = await check(obtained);
  if (problem) throw new SetupError(`the freshly obtained ${displayName} at ${obtained} does not work: ${problem}`);
  say(`${obtained} (ready after ${((Date.now() - startedAt) / 1000).toFixed(1)} s)`);
  return obtained;
}
