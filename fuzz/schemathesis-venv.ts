/**
 * Schemathesis, the fuzzer of `npm run fuzz`, in a venv of its own beside the tool runtime's, so
 * its many dependencies never reach a generated tool's interpreter.
 *
 * Idempotent like infra/tool-runtime.ts: a stamp written only after a complete install names the
 * requirements hash and the base interpreter; a venv whose stamp differs is rebuilt from scratch.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from '../infra/atomic-fs';
import { projectRoot, toolsmithCacheDir } from '../infra/cache';
import { findOnPath } from '../infra/executables';
import { withFileLock } from '../infra/file-lock';
import type { Log } from '../infra/log';
import { probeCommand, runCommand } from '../infra/run-command';
import { SetupError } from '../infra/setup-error';

const STAMP_NAME = 'toolsmith-fuzz-stamp.json';
const REQUIREMENTS = path.join(projectRoot(), 'fuzz', 'requirements.txt');

export function fuzzVenvDir(): string {
  return path.join(toolsmithCacheDir(), 'python', 'fuzz-venv');
}

/** The `schemathesis` entry point of the provisioned venv. */
export function schemathesisExecutable(venvDir = fuzzVenvDir()): string {
  return path.join(venvDir, 'bin', 'schemathesis');
}

async function wantedStamp(basePython: string): Promise<string> {
  const version = await probeCommand(basePython, [
    '-c',
    'import os, sys; print(sys.version, os.path.realpath(sys.executable))',
  ]);
  if (!version.ok) throw new SetupError(`${basePython} does not run: ${version.detail}`);
  const requirements = createHash('sha256')
    .update(await fs.readFile(REQUIREMENTS))
    .digest('hex');
  return JSON.stringify({ requirements, python: version.stdout });
}

async function install(venvDir: string, basePython: string, log: Log): Promise<void> {
  // Only a directory that is a venv (or nothing) is ever removed: a half-built one from an interrupted run.
  const entries = await fs.readdir(venvDir).catch(() => [] as string[]);
  if (entries.length > 0 && !entries.includes('pyvenv.cfg')) {
    throw new SetupError(`${venvDir} exists but is not a Python venv; refusing to replace it`);
  }
  await fs.rm(venvDir, { recursive: true, force: true });
  const pip = ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', '-r', REQUIREMENTS];
  const step = (command: string, args: string[], activity: string, outputPrefix: string) =>
    runCommand({ command, args, activity, log, outputPrefix });
  await step(basePython, ['-m', 'venv', venvDir], 'creating the fuzz venv', '  venv |');
  await step(path.join(venvDir, 'bin', 'python'), pip, 'installing schemathesis', '  pip |');
}

/** Makes sure the pinned schemathesis is installed; returns the path of its executable. */
export async function provisionSchemathesis(log: Log): Promise<string> {
  const venvDir = fuzzVenvDir();
  const basePython = process.env.TOOLSMITH_PYTHON || findOnPath('python3');
  if (!basePython) throw new SetupError('python3 is not on PATH: install Python 3.10+ or set TOOLSMITH_PYTHON');
  const stampPath = path.join(venvDir, STAMP_NAME);
  return withFileLock(
    `${venvDir}.lock`,
    (holder) => log(`waiting for pid ${holder} to finish installing schemathesis`),
    async () => {
      const wanted = await wantedStamp(basePython);
      const existing = await fs.readFile(stampPath, 'utf8').catch(() => undefined);
      const runs = existing === wanted && (await probeCommand(schemathesisExecutable(venvDir), ['--version'])).ok;
      if (runs) return schemathesisExecutable(venvDir);
      log(`schemathesis: installing ${path.relative(projectRoot(), REQUIREMENTS)} into ${venvDir}`);
      await install(venvDir, basePython, log);
      const check = await probeCommand(schemathesisExecutable(venvDir), ['--version']);
      if (!check.ok) throw new SetupError(`schemathesis installed but does not run: ${check.detail}`);
      // Written last: its presence is what marks the venv complete.
      await writeFileAtomically(stampPath, wanted);
      log(`schemathesis: ${check.stdout} in ${venvDir}`);
      return schemathesisExecutable(venvDir);
    },
  );
}
