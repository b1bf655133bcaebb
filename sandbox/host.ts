import { accessSync, constants as fsConstants, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bwrapArguments, type HarnessInvocation } from './bwrap';
import { detectLimiter, type Limiter } from './cgroups';
import { isAlive, type CgroupLimits, type RunCgroup } from './run-cgroup';
import type { SandboxLimits } from './limits';
import { unavailable } from './unavailable';

/**
 * What a sandbox needs on this host, checked before each start: the tool runtime, bubblewrap, a
 * way to limit processes, and (as root) device nodes of its own. Shared by the cold runner
 * (sandbox/runner.ts) and the pool (sandbox/pool.ts).
 */

export interface SandboxSettings {
  runtimeDir: string;
  bwrapPath: string;
  limits: SandboxLimits;
  /**
   * A cgroup v2 directory delegated to this process (pids, and ideally memory and cpu, enabled in
   * its cgroup.subtree_control), under which each run gets its own cgroup. Default: found at run
   * time (the process's own cgroup v2, or the cgroup v1 pids/memory/cpu hierarchies).
   */
  cgroupParent?: string;
}

/** A program by absolute path: the sandbox's processes start with an empty environment, so no PATH lookup later. */
function resolveExecutable(command: string, missing: string): string {
  const candidates = command.includes('/')
    ? [path.resolve(command)]
    : (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, fsConstants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // try the next one
    }
  }
  throw unavailable(missing);
}

const DEVICES_PREFIX = 'toolsmith-dev-';
let swept = false;

/** A directory for a sandbox's device nodes; the first one also removes those of dead processes. */
function devicesDirectory(): string {
  if (!swept) {
    swept = true;
    for (const entry of readdirSync(os.tmpdir())) {
      const owner = new RegExp(`^${DEVICES_PREFIX}(\\d+)-`).exec(entry)?.[1];
      if (owner && Number(owner) !== process.pid && !isAlive(Number(owner)))
        rmSync(path.join(os.tmpdir(), entry), { recursive: true, force: true });
    }
  }
  return mkdtempSync(path.join(os.tmpdir(), `${DEVICES_PREFIX}${process.pid}-`));
}

/**
 * Checks what a sandbox needs on this host (the runtime, bubblewrap, a way to limit processes) and
 * builds bubblewrap's command line; every failure is SANDBOX_UNAVAILABLE.
 */
export function sandboxHost(settings: SandboxSettings) {
  const venvDir = path.resolve(settings.runtimeDir);
  const python = path.join(venvDir, 'bin', 'python');
  let limiter: Limiter | undefined;
  return {
    prepare(invocation: HarnessInvocation) {
      if (!existsSync(python)) {
        throw unavailable(
          `The tool runtime is missing (${python}): run \`npm run provision\` or set TOOL_RUNTIME_DIR.`,
        );
      }
      const bwrap = resolveExecutable(
        settings.bwrapPath,
        `bubblewrap was not found or is not executable (${settings.bwrapPath}): install it (apt-get install ` +
          'bubblewrap) or set BWRAP_PATH; generated code is never run without the sandbox.',
      );
      limiter ??= detectLimiter(settings.cgroupParent);
      const devices =
        process.getuid?.() === 0
          ? {
              mknod: resolveExecutable('mknod', 'mknod (coreutils) was not found: the sandbox needs its own devices.'),
              dir: devicesDirectory(),
            }
          : undefined;
      return {
        bwrap,
        limiter,
        devices,
        args: bwrapArguments(venvDir, python, invocation, devices?.dir),
        /** after the sandbox ended: removes its device nodes */
        release: () => devices && rmSync(devices.dir, { recursive: true, force: true }),
      };
    },
    treeMemoryLimit: () => limiter?.treeMemoryLimit ?? false,
  };
}

export type SandboxHost = ReturnType<typeof sandboxHost>;

/** A cgroup for a run (none when only rlimits can be used, i.e. not as root); SANDBOX_UNAVAILABLE if it fails. */
export function createRunCgroup(limiter: Limiter, limits: CgroupLimits): RunCgroup | undefined {
  if (limiter.kind === 'rlimit') return undefined;
  try {
    return limiter.create(limits);
  } catch (error) {
    throw unavailable(`cannot create the run's cgroup (${limiter.kind}): ${(error as Error).message}`, error);
  }
}
