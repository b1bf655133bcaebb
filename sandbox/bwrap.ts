import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { SHM_BYTES } from './limits';

/**
 * bubblewrap's command line. Generated code only ever runs in this: every namespace unshared (no
 * network, own PID/IPC/UTS/cgroup namespaces), an unprivileged uid inside, no capabilities, no
 * further user namespaces, a read-only root holding only /usr, the tool runtime and the harness,
 * read-only /proc, size-limited private /tmp and /dev/shm, and an environment that holds nothing
 * of the host's (bubblewrap itself is started with an empty one, so /proc/1/environ leaks nothing).
 *
 * Limits: rlimits inside (address space, CPU, file size, processes), a per-run cgroup outside
 * (pids.max, the memory of the whole process tree, one CPU), and from the host the wall time and
 * the output bytes, enforced by killing the whole tree (sandbox/spawn.ts).
 */

const HARNESS_PATH = path.join(__dirname, 'harness.py');
const HARNESS_INSIDE = '/opt/toolsmith/harness.py';
export const SANDBOX_UID = '65534';
const SYSTEM_DIRS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/**
 * The device nodes bubblewrap's --dev binds from the host (name, major, minor). As root, the
 * sandbox's uid is host root, their owner: a tool could chmod the host's /dev/null. Each sandbox
 * gets its own nodes instead (made by the shell that starts it), so that only they can change.
 */
export const DEVICES: [string, number, number][] = [
  ['null', 1, 3],
  ['zero', 1, 5],
  ['full', 1, 7],
  ['random', 1, 8],
  ['urandom', 1, 9],
  ['tty', 5, 0],
];
export const SANDBOX_ENVIRONMENT: Record<string, string> = {
  PATH: '/usr/bin:/bin',
  HOME: '/tmp',
  TMPDIR: '/tmp',
  LANG: 'C.UTF-8',
  OPENBLAS_NUM_THREADS: '1',
  OMP_NUM_THREADS: '1',
  MKL_NUM_THREADS: '1',
};

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

export interface HarnessInvocation {
  tmpBytes: number;
  /** the harness is the sandbox's PID 1, without bubblewrap's init (the pool's zygote) */
  asPid1?: boolean;
  /** arguments for harness.py (none: the cold one-request mode) */
  harnessArguments?: string[];
}

/** bubblewrap's command line for a sandbox running the harness (the device nodes: see DEVICES). */
export function bwrapArguments(
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
