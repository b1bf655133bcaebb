import { spawn } from 'node:child_process';
import {
  accessSync,
  constants as fsConstants,
  existsSync,
  lstatSync,
  readlinkSync,
  realpathSync,
  statSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectLimiter, unavailable, type Limiter, type RunCgroup } from './cgroups';

/**
 * Generated code only ever runs here: bubblewrap with every namespace unshared (no network, own
 * PID/IPC/UTS/cgroup namespaces), an unprivileged uid inside, no capabilities, no further user
 * namespaces, a read-only root holding only /usr, the tool runtime and the harness, read-only
 * /proc, size-limited private /tmp and /dev/shm, and an environment that holds nothing of the
 * host's (bubblewrap itself is started with an empty one, so /proc/1/environ leaks nothing).
 *
 * Limits: rlimits inside (address space, CPU, file size, processes), a per-run cgroup outside
 * (pids.max, the memory of the whole process tree, one CPU), and from here the wall time and the
 * output bytes, enforced by killing the whole tree.
 */

export interface SandboxLimits {
  wallTimeMs: number;
  /** address space per process (RLIMIT_AS); with a cgroup also the memory of the whole tree */
  memoryMb: number;
  /** bytes the tool may print (stdout + stderr), and separately the size of the harness's reply */
  outputBytes: number;
  cpuSeconds: number;
  /** processes and threads the tool may run, the harness included */
  processes: number;
  /** size of the private /tmp and the largest file the tool may write (default 64 MiB) */
  tmpBytes?: number;
}

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

/** Which limit stopped a run (or was hit during it): machine-readable, for the activity and the model. */
export type SandboxLimitKind = 'wall_time' | 'output' | 'memory' | 'cpu' | 'processes' | 'file_size';

/** What bounds the number of processes: a per-run cgroup, or RLIMIT_NPROC (only when not root). */
export type ProcessLimiter = 'cgroup-v2' | 'cgroup-v1' | 'rlimit';

export interface SandboxExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  outputLimitExceeded: boolean;
  /** the harness's reply was larger than the output limit */
  replyLimitExceeded: boolean;
  durationMs: number;
  /** every limit seen to be hit during the run, from outside evidence (cgroup counters, exit status) */
  limitsHit: SandboxLimitKind[];
  processLimiter: ProcessLimiter;
}

export type SandboxReply<T> =
  | { ok: true; exit: SandboxExit; reply: T }
  | { ok: false; exit: SandboxExit; problem: string; limit?: SandboxLimitKind };

/** What verify() found inside the sandbox. */
export interface SandboxIsolation {
  processLimiter: ProcessLimiter;
  /** the whole tree's memory is capped by a cgroup (else only per process, by RLIMIT_AS) */
  treeMemoryLimit: boolean;
  uid: number;
  interfaces: string[];
  environment: string[];
}

const HARNESS_PATH = path.join(__dirname, 'harness.py');
const HARNESS_INSIDE = '/opt/toolsmith/harness.py';
const READY_LINE = 'TOOLSMITH-HARNESS-READY\n';
const SANDBOX_UID = '65534';
const SYSTEM_DIRS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
const MIB = 1024 * 1024;
const DEFAULT_TMP_BYTES = 64 * MIB;
const SHM_BYTES = 16 * MIB;
/** sh→bwrap, bubblewrap's init inside the PID namespace, the harness's supervisor */
const TASKS_OUTSIDE_TOOL = 3;
/** bubblewrap, the supervisor and Python's own overhead beyond the tool's address space */
const TREE_MEMORY_OVERHEAD = 64 * MIB;
/** after the reply is complete, the sandbox gets this long to exit by itself before it is killed */
const EXIT_GRACE_MS = 2_000;
const SIGNAL_EXIT_BASE = 128;
const CPU_EXIT = SIGNAL_EXIT_BASE + os.constants.signals.SIGXCPU;
const FSIZE_EXIT = SIGNAL_EXIT_BASE + os.constants.signals.SIGXFSZ;
const SANDBOX_ENVIRONMENT: Record<string, string> = {
  PATH: '/usr/bin:/bin',
  HOME: '/tmp',
  TMPDIR: '/tmp',
  LANG: 'C.UTF-8',
  OPENBLAS_NUM_THREADS: '1',
  OMP_NUM_THREADS: '1',
  MKL_NUM_THREADS: '1',
};

// ---------------------------------------------------------------------------------------------
// bubblewrap's command line

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

/** bubblewrap by absolute path: it is started with an empty environment, so no PATH lookup later. */
function resolveExecutable(command: string): string {
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
  throw unavailable(
    `bubblewrap was not found or is not executable (${command}): install it (apt-get install bubblewrap) ` +
      'or set BWRAP_PATH; generated code is never run without the sandbox.',
  );
}

function bwrapArguments(venvDir: string, python: string, limits: Required<SandboxLimits>): string[] {
  const basePrefix = pythonBasePrefix(python);
  const environment = Object.entries(SANDBOX_ENVIRONMENT).flatMap(([name, value]) => ['--setenv', name, value]);
  return [
    '--unshare-all',
    '--unshare-user', // not just "try": without a user namespace there is no sandbox
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--hostname',
    'sandbox',
    '--uid',
    SANDBOX_UID,
    '--gid',
    SANDBOX_UID,
    ...systemMounts(),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--size',
    String(SHM_BYTES),
    '--tmpfs',
    '/dev/shm',
    '--size',
    String(limits.tmpBytes),
    '--tmpfs',
    '/tmp',
    // after /tmp, so that a runtime that lives under /tmp is not hidden by it
    ...(basePrefix === '/usr' || basePrefix.startsWith('/usr/') ? [] : ['--ro-bind', basePrefix, basePrefix]),
    '--ro-bind',
    venvDir,
    venvDir,
    '--ro-bind',
    HARNESS_PATH,
    HARNESS_INSIDE,
    // The sandbox's uid maps to the host uid running bubblewrap: /proc/sys must not be writable.
    '--remount-ro',
    '/proc',
    '--remount-ro',
    '/',
    '--chdir',
    '/tmp',
    '--clearenv',
    ...environment,
    '--',
    python,
    '-I',
    '-B',
    HARNESS_INSIDE,
  ];
}

// ---------------------------------------------------------------------------------------------
// Per-run cgroups: the limit on processes that holds even when the sandbox maps to host root
// (the kernel exempts root from RLIMIT_NPROC), plus the memory and CPU of the whole tree.

interface RawRun {
  exit: SandboxExit;
  started: boolean;
  replyLine?: string;
}

function signalName(exitCode: number | null): string | undefined {
  if (exitCode === null || exitCode <= SIGNAL_EXIT_BASE) return undefined;
  const number = exitCode - SIGNAL_EXIT_BASE;
  return Object.entries(os.constants.signals).find(([, value]) => value === number)?.[0];
}

const tail = (text: string, length: number) => (text.length > length ? `…${text.slice(-length)}` : text);

export function createSandbox(settings: SandboxSettings) {
  const venvDir = path.resolve(settings.runtimeDir);
  const python = path.join(venvDir, 'bin', 'python');
  let limiter: Limiter | undefined;

  function prepare(limits: Required<SandboxLimits>) {
    if (!existsSync(python)) {
      throw unavailable(`The tool runtime is missing (${python}): run \`npm run provision\` or set TOOL_RUNTIME_DIR.`);
    }
    const bwrap = resolveExecutable(settings.bwrapPath);
    limiter ??= detectLimiter(settings.cgroupParent);
    return { bwrap, limiter, args: bwrapArguments(venvDir, python, limits) };
  }

  function spawnSandbox(
    bwrap: string,
    args: string[],
    input: string,
    limits: Required<SandboxLimits>,
    limiter: Limiter,
    cgroup: RunCgroup | undefined,
    abortSignal: AbortSignal | undefined,
  ): Promise<RawRun> {
    // With a cgroup: a shell joins it and execs bubblewrap, so every process of the run is inside.
    const joinAndExec =
      'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || { echo "toolsmith: cannot join the cgroup $1" >&2; ' +
      'exit 125; }; shift; n=$((n - 1)); done; exec "$@"';
    const [command, argv] = cgroup
      ? [
          '/bin/sh',
          [
            '-c',
            joinAndExec,
            'toolsmith-sandbox',
            String(cgroup.procsFiles.length),
            ...cgroup.procsFiles,
            bwrap,
            ...args,
          ],
        ]
      : [bwrap, args];

    return new Promise((resolve, reject) => {
      const started = Date.now();
      const child = spawn(command, argv, {
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
        detached: true, // its own process group: killed as a whole
        cwd: '/',
        env: {}, // nothing of ours, not even in bubblewrap's /proc/<pid>/environ
      });
      const output: { stdout: Buffer[]; stderr: Buffer[] } = { stdout: [], stderr: [] };
      const replyChunks: Buffer[] = [];
      let outputBytes = 0;
      let replyBytes = 0;
      let timedOut = false;
      let outputLimitExceeded = false;
      let replyLimitExceeded = false;
      let replyComplete = false;
      let replyLines = 0; // the ready line, then the reply
      let graceTimer: NodeJS.Timeout | undefined;

      const killTree = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
        cgroup?.killAll();
      };
      const wallTimer = setTimeout(() => {
        timedOut = true;
        killTree();
      }, limits.wallTimeMs);
      // A cancelled activity (the job was cancelled, or its deadline passed) stops the tool at once.
      abortSignal?.addEventListener('abort', killTree, { once: true });

      const collect = (into: Buffer[]) => (chunk: Buffer) => {
        const room = limits.outputBytes - outputBytes;
        outputBytes += chunk.length;
        if (room > 0) into.push(room >= chunk.length ? chunk : chunk.subarray(0, room));
        if (outputBytes > limits.outputBytes && !outputLimitExceeded && !replyComplete) {
          outputLimitExceeded = true;
          killTree();
        }
      };
      child.stdout!.on('data', collect(output.stdout));
      child.stderr!.on('data', collect(output.stderr));
      const replyStream = child.stdio[3] as NodeJS.ReadableStream;
      replyStream.on('data', (chunk: Buffer) => {
        replyBytes += chunk.length;
        if (replyBytes > limits.outputBytes + READY_LINE.length) {
          if (!replyLimitExceeded) {
            replyLimitExceeded = true;
            killTree();
          }
          return;
        }
        replyChunks.push(chunk);
        for (const byte of chunk) if (byte === 0x0a) replyLines += 1;
        if (!replyComplete && replyLines >= 2) {
          // the reply line is complete: the run is over, whatever its processes still do
          replyComplete = true;
          clearTimeout(wallTimer);
          graceTimer = setTimeout(killTree, EXIT_GRACE_MS);
        }
      });
      child.stdin!.on('error', () => undefined);
      child.on('error', (error) => {
        clearTimeout(wallTimer);
        clearTimeout(graceTimer);
        reject(unavailable(`bubblewrap could not be started (${bwrap}): ${error.message}`, error));
      });
      child.on('close', (exitCode, signal) => {
        clearTimeout(wallTimer);
        clearTimeout(graceTimer);
        abortSignal?.removeEventListener('abort', killTree);
        const counters = cgroup?.counters() ?? { pidsMaxHits: 0, oomKills: 0 };
        const limitsHit = new Set<SandboxLimitKind>();
        if (timedOut) limitsHit.add('wall_time');
        if (outputLimitExceeded || replyLimitExceeded) limitsHit.add('output');
        if (counters.oomKills > 0) limitsHit.add('memory');
        if (exitCode === CPU_EXIT) limitsHit.add('cpu');
        if (exitCode === FSIZE_EXIT) limitsHit.add('file_size');
        if (counters.pidsMaxHits > 0) limitsHit.add('processes');
        const reply = Buffer.concat(replyChunks).toString('utf8');
        const isStarted = reply.startsWith(READY_LINE);
        const replyLine = isStarted ? reply.slice(READY_LINE.length).split('\n') : [];
        resolve({
          started: isStarted,
          replyLine: replyLine.length > 1 ? replyLine[0] : undefined,
          exit: {
            exitCode,
            signal,
            stdout: Buffer.concat(output.stdout).toString('utf8'),
            stderr: Buffer.concat(output.stderr).toString('utf8'),
            timedOut,
            outputLimitExceeded,
            replyLimitExceeded,
            durationMs: Date.now() - started,
            limitsHit: [...limitsHit],
            processLimiter: limiter.kind,
          },
        });
      });
      child.stdin!.end(input);
    });
  }

  /** Why a run that did not reply ended, most specific first. */
  function failure(exit: SandboxExit, limits: Required<SandboxLimits>): { problem: string; limit?: SandboxLimitKind } {
    const printed = [exit.stderr, exit.stdout].filter((text) => text.trim()).map((text) => tail(text.trim(), 1500));
    const output = printed.length ? `; output: ${printed.join('\n')}` : '';
    if (exit.timedOut)
      return { limit: 'wall_time', problem: `exceeded the wall-time limit of ${limits.wallTimeMs} ms and was killed` };
    if (exit.outputLimitExceeded)
      return {
        limit: 'output',
        problem: `printed more than ${limits.outputBytes} bytes (the output limit) and was killed`,
      };
    if (exit.replyLimitExceeded)
      return {
        limit: 'output',
        problem: `returned a result larger than the output limit of ${limits.outputBytes} bytes`,
      };
    if (exit.limitsHit.includes('memory'))
      return {
        limit: 'memory',
        problem: `ran out of memory (the limit is ${limits.memoryMb} MB) and was killed${output}`,
      };
    if (exit.limitsHit.includes('cpu'))
      return {
        limit: 'cpu',
        problem: `exceeded the CPU-time limit of ${limits.cpuSeconds} s and was killed (SIGXCPU)${output}`,
      };
    if (exit.limitsHit.includes('file_size'))
      return {
        limit: 'file_size',
        problem: `wrote a file larger than ${limits.tmpBytes} bytes and was killed (SIGXFSZ)${output}`,
      };
    const name = signalName(exit.exitCode);
    const how = name ? `was killed by ${name}` : `exited with code ${exit.exitCode}`;
    if (exit.limitsHit.includes('processes'))
      return {
        limit: 'processes',
        problem: `hit the limit of ${limits.processes} processes and threads, then ${how} without a result${output}`,
      };
    return { problem: `${how} without a result${output}` };
  }

  /**
   * Runs a request and returns the harness's JSON reply. A sandbox that cannot start (no bubblewrap,
   * no namespaces, no way to limit processes) throws ServiceError(SANDBOX_UNAVAILABLE): nothing
   * ever runs outside it. A tool that blows a limit or dies without replying is reported as what
   * happened, with the limit's kind.
   */
  async function request<T>(
    request: Record<string, unknown>,
    overrides: Partial<SandboxLimits> = {},
    abortSignal?: AbortSignal,
  ): Promise<SandboxReply<T>> {
    const limits: Required<SandboxLimits> = { tmpBytes: DEFAULT_TMP_BYTES, ...settings.limits, ...overrides };
    const { bwrap, limiter, args } = prepare(limits);
    const input = JSON.stringify({
      ...request,
      limits: {
        memoryBytes: limits.memoryMb * MIB,
        cpuSeconds: limits.cpuSeconds,
        fileBytes: limits.tmpBytes,
        processes: limits.processes,
      },
    });
    let cgroup: RunCgroup | undefined;
    if (limiter.kind !== 'rlimit') {
      try {
        cgroup = limiter.create({
          pids: limits.processes + TASKS_OUTSIDE_TOOL,
          memoryBytes: limits.memoryMb * MIB + limits.tmpBytes + SHM_BYTES + TREE_MEMORY_OVERHEAD,
        });
      } catch (error) {
        throw unavailable(`cannot create the run's cgroup (${limiter.kind}): ${(error as Error).message}`, error);
      }
    }
    let run: RawRun;
    try {
      run = await spawnSandbox(bwrap, args, input, limits, limiter, cgroup, abortSignal);
    } finally {
      await cgroup?.remove();
    }
    abortSignal?.throwIfAborted();
    const { exit } = run;
    if (!run.started) {
      const detail = exit.stderr.trim() || (exit.timedOut ? `no answer within ${limits.wallTimeMs} ms` : 'no message');
      throw unavailable(
        `bubblewrap could not create the sandbox (exit code ${exit.exitCode}${exit.signal ? `, ${exit.signal}` : ''}): ` +
          tail(detail, 2000),
      );
    }
    if (run.replyLine === undefined) return { ok: false, exit, ...failure(exit, limits) };
    let reply: T & { harnessError?: { type: string; message: string } };
    try {
      reply = JSON.parse(run.replyLine) as typeof reply;
    } catch {
      return { ok: false, exit, problem: `answered with a reply that is not JSON: ${tail(run.replyLine, 500)}` };
    }
    if (reply.harnessError) {
      return {
        ok: false,
        exit,
        problem: `could not be run by the harness: ${reply.harnessError.type}: ${reply.harnessError.message}`,
      };
    }
    return { ok: true, exit, reply };
  }

  /**
   * Proves the sandbox starts and isolates (unprivileged uid, no network but loopback, no host
   * environment), so a broken bubblewrap is reported before any tool is tried.
   */
  async function verify(): Promise<SandboxIsolation> {
    const outcome = await request<{ uid: number; interfaces: string[]; environment: string[] }>({ mode: 'probe' });
    if (!outcome.ok) throw unavailable(`the sandbox does not run Python: ${outcome.problem}`);
    const { uid, interfaces, environment } = outcome.reply;
    const unexpected = environment.filter(
      (name) => !(name in SANDBOX_ENVIRONMENT) && !['PWD', 'LC_CTYPE'].includes(name),
    );
    if (String(uid) !== SANDBOX_UID || interfaces.some((name) => name !== 'lo') || unexpected.length) {
      throw unavailable(
        `the sandbox is not isolated: uid ${uid}, network interfaces [${interfaces.join(', ')}], ` +
          `unexpected environment [${unexpected.join(', ')}]`,
      );
    }
    return {
      processLimiter: outcome.exit.processLimiter,
      treeMemoryLimit: limiter?.treeMemoryLimit ?? false,
      uid,
      interfaces,
      environment,
    };
  }

  return { request, verify };
}

export type Sandbox = ReturnType<typeof createSandbox>;
