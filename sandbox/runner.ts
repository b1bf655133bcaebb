import { spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  constants as fsConstants,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  detectLimiter,
  isAlive,
  unavailable,
  type CgroupCounters,
  type CgroupLimits,
  type Limiter,
  type RunCgroup,
} from './cgroups';

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
export const MIB = 1024 * 1024;
export const DEFAULT_TMP_BYTES = 64 * MIB;
const SHM_BYTES = 16 * MIB;
/** sh→bwrap, bubblewrap's init inside the PID namespace, the harness's supervisor */
const TASKS_OUTSIDE_TOOL = 3;
/** bubblewrap, the supervisor and Python's own overhead beyond the tool's address space */
const TREE_MEMORY_OVERHEAD = 64 * MIB;
/** after the reply is complete, the sandbox gets this long to exit by itself before it is killed */
const EXIT_GRACE_MS = 2_000;
/** bubblewrap exits once its child was killed; if it has not within this, it is killed too */
const BWRAP_EXIT_GRACE_MS = 1_000;
const SIGNAL_EXIT_BASE = 128;
const CPU_EXIT = SIGNAL_EXIT_BASE + os.constants.signals.SIGXCPU;
const FSIZE_EXIT = SIGNAL_EXIT_BASE + os.constants.signals.SIGXFSZ;
/**
 * The device nodes bubblewrap's --dev binds from the host (name, major, minor). As root, the
 * sandbox's uid is host root, their owner: a tool could chmod the host's /dev/null. Each sandbox
 * gets its own nodes instead (made by the shell that starts it), so that only they can change.
 */
const DEVICES: [string, number, number][] = [
  ['null', 1, 3],
  ['zero', 1, 5],
  ['full', 1, 7],
  ['random', 1, 8],
  ['urandom', 1, 9],
  ['tty', 5, 0],
];
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

export interface HarnessInvocation {
  tmpBytes: number;
  /** the harness is the sandbox's PID 1, without bubblewrap's init (the pool's zygote) */
  asPid1?: boolean;
  /** arguments for harness.py (none: the cold one-request mode) */
  harnessArguments?: string[];
}

function bwrapArguments(
  venvDir: string,
  python: string,
  invocation: HarnessInvocation,
  devicesDir: string | undefined,
): string[] {
  const basePrefix = pythonBasePrefix(python);
  const environment = Object.entries(SANDBOX_ENVIRONMENT).flatMap(([name, value]) => ['--setenv', name, value]);
  return [
    '--unshare-all',
    '--unshare-user', // not just "try": without a user namespace there is no sandbox
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    ...(invocation.asPid1 ? ['--as-pid-1'] : []),
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
    ...(devicesDir ? DEVICES.flatMap(([name]) => ['--dev-bind', path.join(devicesDir, name), `/dev/${name}`]) : []),
    '--size',
    String(SHM_BYTES),
    '--tmpfs',
    '/dev/shm',
    '--size',
    String(invocation.tmpBytes),
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
    // /dev itself (not its devices, devpts or /dev/shm): nothing a tool could leave files in
    '--remount-ro',
    '/dev',
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
    ...(invocation.harnessArguments ?? []),
  ];
}

// ---------------------------------------------------------------------------------------------
// What the cold runner and the pool (sandbox/pool.ts) share: the prerequisites, the per-run
// cgroup, starting bubblewrap, and what a finished run means.

export type SandboxCounters = CgroupCounters;

/** The limits of one run: the settings', a request's overrides, and the default size of /tmp. */
export function resolveLimits(limits: SandboxLimits, overrides: Partial<SandboxLimits> = {}): Required<SandboxLimits> {
  return { tmpBytes: DEFAULT_TMP_BYTES, ...limits, ...overrides };
}

/** The limits as harness.py applies them (its `limits` in a request). */
export function harnessLimits(limits: Required<SandboxLimits>) {
  return {
    memoryBytes: limits.memoryMb * MIB,
    cpuSeconds: limits.cpuSeconds,
    fileBytes: limits.tmpBytes,
    processes: limits.processes,
  };
}

/** The memory of a run's whole tree: the tool's, its /tmp and /dev/shm, and the sandbox's own overhead. */
export function treeMemoryBytes(limits: Required<SandboxLimits>): number {
  return limits.memoryMb * MIB + limits.tmpBytes + SHM_BYTES + TREE_MEMORY_OVERHEAD;
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

/** A cgroup for a run (none when only rlimits can be used, i.e. not as root); SANDBOX_UNAVAILABLE if it fails. */
export function createRunCgroup(limiter: Limiter, limits: CgroupLimits): RunCgroup | undefined {
  if (limiter.kind === 'rlimit') return undefined;
  try {
    return limiter.create(limits);
  } catch (error) {
    throw unavailable(`cannot create the run's cgroup (${limiter.kind}): ${(error as Error).message}`, error);
  }
}

/**
 * Starts bubblewrap in its own process group with an empty environment and four pipes (stdin,
 * stdout, stderr, the harness's channel on fd 3). With a cgroup or devices of its own, a shell
 * joins the cgroup (so every process of the sandbox is inside), makes the device nodes, and execs
 * bubblewrap.
 */
export function spawnSandbox(
  bwrap: string,
  args: string[],
  cgroup: RunCgroup | undefined,
  devices: { mknod: string; dir: string } | undefined,
): ChildProcess {
  const prepareAndExec =
    'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || { echo "toolsmith: cannot join the cgroup $1" >&2; ' +
    'exit 125; }; shift; n=$((n - 1)); done; ' +
    'm=$1; d=$2; n=$3; shift 3; while [ "$n" -gt 0 ]; do "$m" -m 666 "$d/$1" c "$2" "$3" || { ' +
    'echo "toolsmith: cannot make the device node $d/$1" >&2; exit 125; }; shift 3; n=$((n - 1)); done; exec "$@"';
  const procsFiles = cgroup?.procsFiles ?? [];
  const nodes = devices ? DEVICES : [];
  const [command, argv] =
    cgroup || devices
      ? [
          '/bin/sh',
          [
            '-c',
            prepareAndExec,
            'toolsmith-sandbox',
            String(procsFiles.length),
            ...procsFiles,
            devices?.mknod ?? '',
            devices?.dir ?? '',
            String(nodes.length),
            ...nodes.flatMap(([name, major, minor]) => [name, String(major), String(minor)]),
            bwrap,
            ...args,
          ],
        ]
      : [bwrap, args];
  return spawn(command, argv, {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    detached: true, // its own process group: killed as a whole
    cwd: '/',
    env: {}, // nothing of ours, not even in bubblewrap's /proc/<pid>/environ
  });
}

function killProcessGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/**
 * Kills every process of a sandbox. With a cgroup, all but bubblewrap outside, which reaps them and
 * exits by itself (killed with them, they would be left to the host's init to reap), and is killed
 * too if it has not within a moment; else bubblewrap's process group (the rest dies with it).
 */
export function killSandbox(child: ChildProcess, cgroup: RunCgroup | undefined): void {
  if (!cgroup || !child.pid) {
    killProcessGroup(child);
    return;
  }
  cgroup.killAll(child.pid);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const fallback = setTimeout(() => {
    killProcessGroup(child);
    cgroup.killAll();
  }, BWRAP_EXIT_GRACE_MS);
  child.once('exit', () => clearTimeout(fallback));
}

/** Every limit seen to be hit during a run: how it was stopped, its exit status, the cgroup's counters. */
export function limitsHitOf(
  run: Pick<SandboxExit, 'timedOut' | 'outputLimitExceeded' | 'replyLimitExceeded' | 'exitCode'>,
  counters: SandboxCounters,
): SandboxLimitKind[] {
  const limitsHit = new Set<SandboxLimitKind>();
  if (run.timedOut) limitsHit.add('wall_time');
  if (run.outputLimitExceeded || run.replyLimitExceeded) limitsHit.add('output');
  if (counters.oomKills > 0) limitsHit.add('memory');
  if (run.exitCode === CPU_EXIT) limitsHit.add('cpu');
  if (run.exitCode === FSIZE_EXIT) limitsHit.add('file_size');
  if (counters.pidsMaxHits > 0) limitsHit.add('processes');
  return [...limitsHit];
}

function signalName(exitCode: number | null): string | undefined {
  if (exitCode === null || exitCode <= SIGNAL_EXIT_BASE) return undefined;
  const number = exitCode - SIGNAL_EXIT_BASE;
  return Object.entries(os.constants.signals).find(([, value]) => value === number)?.[0];
}

export const tail = (text: string, length: number) => (text.length > length ? `…${text.slice(-length)}` : text);

/** Why a run that did not reply ended, most specific first. */
export function failure(
  exit: SandboxExit,
  limits: Required<SandboxLimits>,
): { problem: string; limit?: SandboxLimitKind } {
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

/** bubblewrap ended (or never answered) before the harness inside said it was up. */
export function notStarted(exitCode: number | null, signal: NodeJS.Signals | null, detail: string) {
  return unavailable(
    `bubblewrap could not create the sandbox (exit code ${exitCode}${signal ? `, ${signal}` : ''}): ` +
      tail(detail, 2000),
  );
}

/** The outcome of a run from the harness's reply line (none: the run ended without one). */
export function interpretReply<T>(
  replyLine: string | undefined,
  exit: SandboxExit,
  limits: Required<SandboxLimits>,
): SandboxReply<T> {
  if (replyLine === undefined) return { ok: false, exit, ...failure(exit, limits) };
  let reply: T & { harnessError?: { type: string; message: string } };
  try {
    reply = JSON.parse(replyLine) as typeof reply;
  } catch {
    return { ok: false, exit, problem: `answered with a reply that is not JSON: ${tail(replyLine, 500)}` };
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

export interface ProbeReply {
  uid: number;
  interfaces: string[];
  environment: string[];
}

/**
 * Proves from a probe run that the sandbox isolates (unprivileged uid, no network but loopback, no
 * host environment). `preloadedEnvironment`: names the sandbox's own preloaded modules set.
 */
export function checkIsolation(
  outcome: SandboxReply<ProbeReply>,
  treeMemoryLimit: boolean,
  preloadedEnvironment: string[] = [],
): SandboxIsolation {
  if (!outcome.ok) throw unavailable(`the sandbox does not run Python: ${outcome.problem}`);
  const { uid, interfaces, environment } = outcome.reply;
  const unexpected = environment.filter(
    (name) => !(name in SANDBOX_ENVIRONMENT) && !['PWD', 'LC_CTYPE', ...preloadedEnvironment].includes(name),
  );
  if (String(uid) !== SANDBOX_UID || interfaces.some((name) => name !== 'lo') || unexpected.length) {
    throw unavailable(
      `the sandbox is not isolated: uid ${uid}, network interfaces [${interfaces.join(', ')}], ` +
        `unexpected environment [${unexpected.join(', ')}]`,
    );
  }
  return { processLimiter: outcome.exit.processLimiter, treeMemoryLimit, uid, interfaces, environment };
}

// ---------------------------------------------------------------------------------------------
// The cold runner: one bubblewrap, one Python, one request

interface RawRun {
  exit: SandboxExit;
  started: boolean;
  replyLine?: string;
}

export function createSandbox(settings: SandboxSettings) {
  const host = sandboxHost(settings);

  function runSandbox(
    bwrap: string,
    child: ChildProcess,
    input: string,
    limits: Required<SandboxLimits>,
    limiter: Limiter,
    cgroup: RunCgroup | undefined,
    abortSignal: AbortSignal | undefined,
  ): Promise<RawRun> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
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

      const killTree = () => killSandbox(child, cgroup);
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
        const run = { exitCode, timedOut, outputLimitExceeded, replyLimitExceeded };
        const reply = Buffer.concat(replyChunks).toString('utf8');
        const isStarted = reply.startsWith(READY_LINE);
        const replyLine = isStarted ? reply.slice(READY_LINE.length).split('\n') : [];
        resolve({
          started: isStarted,
          replyLine: replyLine.length > 1 ? replyLine[0] : undefined,
          exit: {
            ...run,
            signal,
            stdout: Buffer.concat(output.stdout).toString('utf8'),
            stderr: Buffer.concat(output.stderr).toString('utf8'),
            durationMs: Date.now() - started,
            limitsHit: limitsHitOf(run, cgroup?.counters() ?? { pidsMaxHits: 0, oomKills: 0 }),
            processLimiter: limiter.kind,
          },
        });
      });
      child.stdin!.end(input);
    });
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
    const limits = resolveLimits(settings.limits, overrides);
    const { bwrap, limiter, args, devices, release } = host.prepare({ tmpBytes: limits.tmpBytes });
    const input = JSON.stringify({ ...request, limits: harnessLimits(limits) });
    let cgroup: RunCgroup | undefined;
    let run: RawRun;
    try {
      cgroup = createRunCgroup(limiter, {
        pids: limits.processes + TASKS_OUTSIDE_TOOL,
        memoryBytes: treeMemoryBytes(limits),
      });
      const child = spawnSandbox(bwrap, args, cgroup, devices);
      run = await runSandbox(bwrap, child, input, limits, limiter, cgroup, abortSignal);
    } finally {
      await cgroup?.remove();
      release();
    }
    abortSignal?.throwIfAborted();
    const { exit } = run;
    if (!run.started) {
      const detail = exit.stderr.trim() || (exit.timedOut ? `no answer within ${limits.wallTimeMs} ms` : 'no message');
      throw notStarted(exit.exitCode, exit.signal, detail);
    }
    return interpretReply<T>(run.replyLine, exit, limits);
  }

  /**
   * Proves the sandbox starts and isolates (unprivileged uid, no network but loopback, no host
   * environment), so a broken bubblewrap is reported before any tool is tried.
   */
  async function verify(): Promise<SandboxIsolation> {
    return checkIsolation(await request<ProbeReply>({ mode: 'probe' }), host.treeMemoryLimit());
  }

  return { request, verify };
}

export type Sandbox = ReturnType<typeof createSandbox>;
