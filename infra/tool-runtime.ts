/**
 * The Python venv generated tools run in, with the packages of sandbox/requirements.txt.
 *
 * A stamp file written only after a successful install records what the venv was
 * built from (requirements hash, base interpreter). A venv without a matching stamp
 * — interrupted install, edited requirements, upgraded Python — is rebuilt from scratch;
 * one with a matching stamp is reused, so a warm run costs two interpreter starts.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from './atomic-fs';
import { defaultToolRuntimeDir, projectRoot } from './cache';
import { findOnPath } from './executables';
import type { Log } from './log';
import { probeCommand, runCommand } from './run-command';
import { SetupError } from './setup-error';

export interface ToolRuntime {
  venvDir: string;
  /** The venv's interpreter; run tools with this. */
  pythonPath: string;
  /** Real path of the base installation the venv links to; a sandbox must bind it read-only. */
  basePrefix: string;
}

const MINIMUM_PYTHON = [3, 10] as const;
const STAMP_FILE = 'toolsmith-stamp.json';
const say = (log: Log, line: string): void => log(`Python tool runtime: ${line}`);

interface VenvStamp {
  requirementsSha256: string;
  pythonVersion: string;
  pythonExecutable: string;
}

interface PythonInfo {
  version: string;
  major: number;
  minor: number;
  /** Real path of the interpreter binary: a pyenv shim or symlink resolves to the actual install. */
  executable: string;
}

const DESCRIBE_PYTHON = `import json, os, sys
print(json.dumps({"version": sys.version.split()[0], "major": sys.version_info[0], "minor": sys.version_info[1], "executable": os.path.realpath(sys.executable)}))`;

function requirementsFile(): string {
  return path.join(projectRoot(), 'sandbox', 'requirements.txt');
}

function venvPython(venvDir: string): string {
  return path.join(venvDir, 'bin', 'python');
}

async function findBasePython(): Promise<{ command: string; info: PythonInfo }> {
  const command = process.env.TOOLSMITH_PYTHON || findOnPath('python3');
  const howToFix =
    'install Python 3.10+ with venv support (apt-get install python3 python3-venv) or set TOOLSMITH_PYTHON';
  if (!command) throw new SetupError(`python3 is not on PATH: ${howToFix}`);
  const probe = await probeCommand(command, ['-c', DESCRIBE_PYTHON]);
  if (!probe.ok) throw new SetupError(`${command} does not run: ${probe.detail}\n${howToFix}`);
  const info = JSON.parse(probe.stdout) as PythonInfo;
  const [minMajor, minMinor] = MINIMUM_PYTHON;
  if (info.major < minMajor || (info.major === minMajor && info.minor < minMinor)) {
    throw new SetupError(`${command} is Python ${info.version}, older than ${minMajor}.${minMinor}: ${howToFix}`);
  }
  return { command, info };
}

async function readStamp(venvDir: string): Promise<VenvStamp | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(venvDir, STAMP_FILE), 'utf8')) as VenvStamp;
  } catch {
    return undefined;
  }
}

function sameStamp(a: VenvStamp, b: VenvStamp): boolean {
  return (
    a.requirementsSha256 === b.requirementsSha256 &&
    a.pythonVersion === b.pythonVersion &&
    a.pythonExecutable === b.pythonExecutable
  );
}

/** Undefined when the venv's interpreter does not run (e.g. its base Python was removed). */
async function queryBasePrefix(venvDir: string): Promise<string | undefined> {
  const probe = await probeCommand(venvPython(venvDir), [
    '-c',
    'import os, sys; print(os.path.realpath(sys.base_prefix))',
  ]);
  return probe.ok ? probe.stdout : undefined;
}

/** Refuses to delete a directory that is not a venv: TOOL_RUNTIME_DIR might point anywhere. */
async function removeOldVenv(venvDir: string): Promise<void> {
  const entries = await fs.readdir(venvDir).catch(() => [] as string[]);
  if (entries.length === 0 || entries.includes('pyvenv.cfg')) {
    await fs.rm(venvDir, { recursive: true, force: true });
    return;
  }
  throw new SetupError(
    `${venvDir} exists but is not a Python venv; refusing to replace it. Point TOOL_RUNTIME_DIR elsewhere.`,
  );
}

async function buildVenv(venvDir: string, basePython: string, log: Log): Promise<void> {
  await removeOldVenv(venvDir);
  await fs.mkdir(path.dirname(venvDir), { recursive: true });
  await runCommand({
    command: basePython,
    args: ['-m', 'venv', venvDir],
    activity: 'creating the venv (on Debian/Ubuntu this needs: apt-get install python3-venv)',
    log,
    outputPrefix: '  venv |',
  });
  say(log, `installing ${path.relative(projectRoot(), requirementsFile())} (about half a minute)`);
  await runCommand({
    command: venvPython(venvDir),
    args: [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--no-input',
      '--progress-bar',
      'off',
      '-r',
      requirementsFile(),
    ],
    activity: 'installing the tool runtime packages',
    log,
    outputPrefix: '  pip |',
  });
  const importCheck = await probeCommand(venvPython(venvDir), ['-c', 'import rdkit, numpy, PIL']);
  if (!importCheck.ok) {
    throw new SetupError(`the tool runtime's packages installed but do not import: ${importCheck.detail}`);
  }
}

export async function provisionToolRuntime(log: Log): Promise<ToolRuntime> {
  const venvDir = path.resolve(process.env.TOOL_RUNTIME_DIR || defaultToolRuntimeDir());
  const basePython = await findBasePython();
  const wanted: VenvStamp = {
    requirementsSha256: createHash('sha256')
      .update(await fs.readFile(requirementsFile()))
      .digest('hex'),
    pythonVersion: basePython.info.version,
    pythonExecutable: basePython.info.executable,
  };

  const existing = await readStamp(venvDir);
  if (existing && sameStamp(existing, wanted)) {
    const basePrefix = await queryBasePrefix(venvDir);
    if (basePrefix) {
      say(log, `${venvDir} (up to date, Python ${wanted.pythonVersion})`);
      return { venvDir, pythonPath: venvPython(venvDir), basePrefix };
    }
    say(log, `the venv's interpreter no longer runs; rebuilding ${venvDir}`);
  } else if (existing) {
    say(log, `requirements or base Python changed since the venv was built; rebuilding ${venvDir}`);
  } else {
    say(log, `no complete venv in ${venvDir}; building it`);
  }

  await buildVenv(venvDir, basePython.command, log);
  const basePrefix = await queryBasePrefix(venvDir);
  if (!basePrefix) throw new SetupError(`the new venv's interpreter ${venvPython(venvDir)} does not run`);
  // Written last: its presence is what marks the venv complete.
  await writeFileAtomically(path.join(venvDir, STAMP_FILE), `${JSON.stringify(wanted, null, 2)}\n`);
  say(log, `${venvDir} (built, Python ${wanted.pythonVersion})`);
  return { venvDir, pythonPath: venvPython(venvDir), basePrefix };
}
