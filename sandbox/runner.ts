import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { SANDBOX_UNAVAILABLE, ServiceError } from '../errors';

export interface SandboxLimits {
  wallTimeMs: number;
  memoryMb: number;
  outputBytes: number;
  cpuSeconds: number;
  processes: number;
}

export interface SandboxSettings {
  runtimeDir: string;
  bwrapPath: string;
  limits: SandboxLimits;
}

export interface SandboxExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  outputLimitExceeded: boolean;
  durationMs: number;
}

const HARNESS_PATH = path.join(__dirname, 'harness.py');
const HARNESS_INSIDE = '/opt/toolsmith/harness.py';
const SYSTEM_DIRS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** Merged-/usr systems have /bin etc. as symlinks: recreate them as symlinks, bind real directories. */
function systemMounts(): string[] {
  const mounts = ['--ro-bind', '/usr', '/usr'];
  for (const dir of SYSTEM_DIRS) {
    if (!existsSync(dir)) continue;
    const stat = lstatSync(dir);
    if (stat.isSymbolicLink()) mounts.push('--symlink', readlinkSync(dir), dir);
    else mounts.push('--ro-bind', dir, dir);
  }
  return mounts;
}

/** The interpreter a venv points at lives outside it; it must be visible (read-only) too. */
function pythonBasePrefix(venvPython: string): string {
  return path.dirname(path.dirname(realpathSync(venvPython)));
}

export function createSandbox(settings: SandboxSettings) {
  const venvDir = path.resolve(settings.runtimeDir);
  const python = path.join(venvDir, 'bin', 'python');

  function bwrapArguments(): string[] {
    if (!existsSync(python)) {
      throw new ServiceError(
        SANDBOX_UNAVAILABLE,
        `The tool runtime is missing (${python}): run \`npm run provision\` or set TOOL_RUNTIME_DIR.`,
      );
    }
    const basePrefix = pythonBasePrefix(python);
    return [
      '--unshare-all',
      '--die-with-parent',
      '--new-session',
      '--uid',
      '65534',
      '--gid',
      '65534',
      ...systemMounts(),
      ...(basePrefix.startsWith('/usr/') ? [] : ['--ro-bind', basePrefix, basePrefix]),
      '--ro-bind',
      venvDir,
      venvDir,
      '--ro-bind',
      HARNESS_PATH,
      HARNESS_INSIDE,
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--tmpfs',
      '/tmp',
      '--chdir',
      '/tmp',
      '--clearenv',
      '--setenv',
      'PATH',
      '/usr/bin:/bin',
      '--setenv',
      'HOME',
      '/tmp',
      '--setenv',
      'LANG',
      'C.UTF-8',
      '--setenv',
      'PYTHONDONTWRITEBYTECODE',
      '1',
      '--setenv',
      'OPENBLAS_NUM_THREADS',
      '1',
      '--setenv',
      'OMP_NUM_THREADS',
      '1',
      '--',
      python,
      '-I',
      HARNESS_INSIDE,
    ];
  }

  /** Runs the harness on one JSON request; untrusted code never runs outside bubblewrap. */
  function runHarness(request: Record<string, unknown>, overrides: Partial<SandboxLimits> = {}): Promise<SandboxExit> {
    const limits = { ...settings.limits, ...overrides };
    const args = bwrapArguments();
    const input = JSON.stringify({
      ...request,
      limits: {
        memoryBytes: limits.memoryMb * 1024 * 1024,
        cpuSeconds: limits.cpuSeconds,
        fileBytes: limits.outputBytes,
        processes: limits.processes,
      },
    });

    return new Promise((resolve, reject) => {
      const started = Date.now();
      const child = spawn(settings.bwrapPath, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let outputBytes = 0;
      let timedOut = false;
      let outputLimitExceeded = false;

      const killTree = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killTree();
      }, limits.wallTimeMs);

      const collect = (into: Buffer[]) => (chunk: Buffer) => {
        outputBytes += chunk.length;
        if (outputBytes > limits.outputBytes) {
          if (!outputLimitExceeded) {
            outputLimitExceeded = true;
            killTree();
          }
          return;
        }
        into.push(chunk);
      };
      child.stdout.on('data', collect(stdout));
      child.stderr.on('data', collect(stderr));
      child.stdin.on('error', () => undefined);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(
          new ServiceError(
            SANDBOX_UNAVAILABLE,
            `bubblewrap could not be started (${settings.bwrapPath}): ${error.message}`,
            {
              cause: error,
            },
          ),
        );
      });
      child.on('close', (exitCode, signal) => {
        clearTimeout(timer);
        resolve({
          exitCode,
          signal,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
          timedOut,
          outputLimitExceeded,
          durationMs: Date.now() - started,
        });
      });
      child.stdin.end(input);
    });
  }

  /**
   * Runs a request and returns the harness's JSON reply. A sandbox that will not start fails
   * closed; a tool that blows a limit or dies without replying is reported as what happened.
   */
  async function request<T>(
    request: Record<string, unknown>,
    overrides: Partial<SandboxLimits> = {},
  ): Promise<SandboxReply<T>> {
    const exit = await runHarness(request, overrides);
    if (exit.stderr.startsWith('bwrap:')) {
      throw new ServiceError(SANDBOX_UNAVAILABLE, `bubblewrap could not create the sandbox: ${exit.stderr.trim()}`);
    }
    if (exit.timedOut)
      return { ok: false, exit, problem: `exceeded the wall-time limit of ${settings.limits.wallTimeMs} ms` };
    if (exit.outputLimitExceeded)
      return { ok: false, exit, problem: `printed more than ${settings.limits.outputBytes} bytes` };
    try {
      return { ok: true, exit, reply: JSON.parse(exit.stdout) as T };
    } catch {
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
      return { ok: false, exit, problem: `${how} without a result; stderr: ${exit.stderr.slice(-2000)}` };
    }
  }

  /** Proves the sandbox starts, so a broken bubblewrap is reported before any tool is tried. */
  async function verify(): Promise<void> {
    const outcome = await request<{ results: unknown[] }>({ mode: 'docs', queries: [], maxDocChars: 0 });
    if (!outcome.ok) throw new ServiceError(SANDBOX_UNAVAILABLE, `the sandbox does not run Python: ${outcome.problem}`);
  }

  return { request, verify };
}

export type SandboxReply<T> =
  { ok: true; exit: SandboxExit; reply: T } | { ok: false; exit: SandboxExit; problem: string };
export type Sandbox = ReturnType<typeof createSandbox>;
