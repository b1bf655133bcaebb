import { existsSync, mkdirSync, readFileSync, rmdirSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  killProcessesIn,
  runCgroup,
  runCgroupName,
  sweepStaleCgroups,
  tryRmdir,
  tryWrite,
  type CgroupLimits,
  type RunCgroup,
} from './run-cgroup';
import { unavailable } from './unavailable';

const CGROUP2_SUPER_MAGIC = 0x63677270;

/**
 * What limits a sandbox run's processes, the memory of its whole tree and its CPU share: per-run
 * cgroups (sandbox/run-cgroup.ts) under cgroup v2 or the v1 hierarchies, found here, or when none
 * can be made and not root, the rlimits alone.
 */

export interface CgroupController {
  kind: 'cgroup-v1' | 'cgroup-v2';
  treeMemoryLimit: boolean;
  create(limits: CgroupLimits): RunCgroup;
}

interface MountInfo {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

const unescapeMount = (field: string) =>
  field.replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

function readMounts(): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-');
    if (separator < 0 || fields.length < separator + 4) continue;
    mounts.push({
      root: unescapeMount(fields[3]!),
      mountPoint: unescapeMount(fields[4]!),
      fsType: fields[separator + 1]!,
      superOptions: fields[separator + 3]!.split(','),
    });
  }
  return mounts;
}

/** controller (or '' for cgroup v2) → this process's cgroup path */
function ownCgroups(): Map<string, string> {
  const own = new Map<string, string>();
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    for (const controller of match[1]!.split(',')) own.set(controller, match[2]!);
  }
  return own;
}

/** The directory of a cgroup path inside a mounted hierarchy (which may be mounted at a sub-cgroup). */
function cgroupDirectory(mount: MountInfo, cgroupPath: string): string {
  let relative = cgroupPath;
  if (mount.root !== '/') relative = cgroupPath.startsWith(mount.root) ? cgroupPath.slice(mount.root.length) : '/';
  const dir = path.join(mount.mountPoint, relative);
  return existsSync(dir) ? dir : mount.mountPoint;
}

function cgroupV2(parent: string): CgroupController {
  const subtree = path.join(parent, 'cgroup.subtree_control');
  const enabled = () => readFileSync(subtree, 'utf8').trim().split(/\s+/);
  if (statfsSync(parent).type !== CGROUP2_SUPER_MAGIC) throw new Error(`${parent} is not in a cgroup v2 file system`);
  // pids is required, memory wanted; cpu is only used when someone else already enabled it
  for (const controller of ['pids', 'memory']) {
    if (!enabled().includes(controller)) tryWrite(subtree, `+${controller}`);
  }
  const controllers = enabled();
  if (!controllers.includes('pids')) {
    throw new Error(`the pids controller is not enabled in ${subtree} (enabled: "${controllers.join(' ')}")`);
  }
  const probe = path.join(parent, `${runCgroupName()}-probe`);
  mkdirSync(probe);
  rmdirSync(probe);
  sweepStaleCgroups(parent);
  const memory = controllers.includes('memory');
  return {
    kind: 'cgroup-v2',
    treeMemoryLimit: memory,
    create(limits) {
      const dir = path.join(parent, runCgroupName());
      const setLimits = (next: CgroupLimits) => {
        writeFileSync(path.join(dir, 'pids.max'), String(next.pids));
        if (memory) {
          writeFileSync(path.join(dir, 'memory.max'), String(next.memoryBytes));
          tryWrite(path.join(dir, 'memory.swap.max'), '0');
        }
      };
      mkdirSync(dir);
      try {
        setLimits(limits);
        if (controllers.includes('cpu')) tryWrite(path.join(dir, 'cpu.max'), '100000 100000');
      } catch (error) {
        rmdirSync(dir);
        throw error;
      }
      return runCgroup({
        dirs: [dir],
        pidsDir: dir,
        oomEventsFile: memory ? path.join(dir, 'memory.events') : undefined,
        setLimits,
        killAll: (spare) => {
          if (spare !== undefined || !tryWrite(path.join(dir, 'cgroup.kill'), '1'))
            killProcessesIn(path.join(dir, 'cgroup.procs'), spare);
        },
      });
    },
  };
}

function cgroupV1(mounts: MountInfo[], own: Map<string, string>): CgroupController {
  const parentOf = (controller: string): string | undefined => {
    const mount = mounts.find((entry) => entry.fsType === 'cgroup' && entry.superOptions.includes(controller));
    if (!mount) return undefined;
    const parent = cgroupDirectory(mount, own.get(controller) ?? '/');
    try {
      const probe = path.join(parent, `${runCgroupName()}-probe`);
      mkdirSync(probe);
      rmdirSync(probe);
    } catch (error) {
      if (controller === 'pids') throw error;
      return undefined; // memory and cpu are extras on top of the rlimits
    }
    sweepStaleCgroups(parent);
    return parent;
  };
  const pidsParent = parentOf('pids');
  if (!pidsParent) throw new Error('no cgroup v1 hierarchy with the pids controller is mounted');
  const memoryParent = parentOf('memory');
  const cpuParent = parentOf('cpu');
  return {
    kind: 'cgroup-v1',
    treeMemoryLimit: memoryParent !== undefined,
    create(limits) {
      const name = runCgroupName();
      const pids = path.join(pidsParent, name);
      const memory = memoryParent && path.join(memoryParent, name);
      const cpu = cpuParent && path.join(cpuParent, name);
      const dirs = [pids, memory, cpu].filter((dir): dir is string => Boolean(dir));
      const setLimits = (next: CgroupLimits) => {
        writeFileSync(path.join(pids, 'pids.max'), String(next.pids));
        if (memory) {
          // memory+swap may never be below memory: raised first when growing, lowered after when shrinking
          const memsw = path.join(memory, 'memory.memsw.limit_in_bytes');
          tryWrite(memsw, String(next.memoryBytes));
          writeFileSync(path.join(memory, 'memory.limit_in_bytes'), String(next.memoryBytes));
          tryWrite(memsw, String(next.memoryBytes));
        }
      };
      try {
        for (const dir of dirs) mkdirSync(dir);
        setLimits(limits);
        if (cpu) {
          tryWrite(path.join(cpu, 'cpu.cfs_period_us'), '100000');
          tryWrite(path.join(cpu, 'cpu.cfs_quota_us'), '100000');
        }
      } catch (error) {
        for (const dir of dirs) tryRmdir(dir);
        throw error;
      }
      return runCgroup({
        dirs,
        pidsDir: pids,
        oomEventsFile: memory ? path.join(memory, 'memory.oom_control') : undefined,
        setLimits,
        killAll: (spare) => killProcessesIn(path.join(pids, 'cgroup.procs'), spare),
      });
    },
  };
}

export type Limiter = { kind: 'rlimit'; treeMemoryLimit: false } | CgroupController;

/**
 * Finds what can bound the number of processes. Root (the sandbox's uid maps to host root) is
 * exempt from RLIMIT_NPROC, so as root a per-run cgroup is required: no cgroup, no sandbox.
 */
export function detectLimiter(cgroupParent: string | undefined): Limiter {
  if (cgroupParent) {
    try {
      return cgroupV2(path.resolve(cgroupParent));
    } catch (error) {
      throw unavailable(
        `cannot create the per-run cgroups under ${cgroupParent}: ${(error as Error).message}. It must be a ` +
          'cgroup v2 directory this process may write, with the pids controller enabled in cgroup.subtree_control.',
        error,
      );
    }
  }
  const reasons: string[] = [];
  let mounts: MountInfo[] = [];
  let own = new Map<string, string>();
  try {
    mounts = readMounts();
    own = ownCgroups();
  } catch (error) {
    reasons.push(`cannot read this process's cgroups: ${(error as Error).message}`);
  }
  for (const mount of mounts.filter((entry) => entry.fsType === 'cgroup2')) {
    const parent = cgroupDirectory(mount, own.get('') ?? '/');
    try {
      return cgroupV2(parent);
    } catch (error) {
      reasons.push(`cgroup v2 at ${parent}: ${(error as Error).message}`);
    }
  }
  if (mounts.some((entry) => entry.fsType === 'cgroup')) {
    try {
      return cgroupV1(mounts, own);
    } catch (error) {
      reasons.push(`cgroup v1: ${(error as Error).message}`);
    }
  }
  if (process.getuid?.() !== 0) return { kind: 'rlimit', treeMemoryLimit: false };
  throw unavailable(
    'cannot limit the number of processes in the sandbox: running as root, where RLIMIT_NPROC does not ' +
      'apply, and no cgroup could be created (' +
      (reasons.join('; ') || 'no cgroup hierarchy is mounted') +
      '). Run the worker as a non-root user, give it a writable cgroup (e.g. a delegated cgroup v2 ' +
      'subtree passed as cgroupParent, or a writable /sys/fs/cgroup), or mount the cgroup hierarchy read-write.',
  );
}
