import { readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A run's cgroup(s), v1 or v2 alike: what bounds a sandbox run's processes (pids.max) and the
 * memory of its whole process tree, its counters, how to kill everything in it and remove it; and
 * the clean-up of the cgroups that dead worker processes left behind. sandbox/cgroups.ts finds the
 * hierarchy they are made in.
 */

export interface CgroupCounters {
  pidsMaxHits: number;
  oomKills: number;
}

export interface RunCgroup {
  /** cgroup.procs files the spawning shell writes its pid into before exec'ing bubblewrap */
  procsFiles: string[];
  counters(): CgroupCounters;
  /** sets new limits (a warm sandbox's cgroup is limited for each call) */
  update(limits: CgroupLimits): void;
  /** SIGKILL to every process in it, but `spare` (bubblewrap, which then reaps the others and exits) */
  killAll(spare?: number): void;
  remove(): Promise<void>;
}

export interface CgroupLimits {
  pids: number;
  memoryBytes: number;
}

const readNumber = (file: string, key: string): number => {
  try {
    const line = readFileSync(file, 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith(`${key} `));
    return line ? Number(line.split(' ')[1]) || 0 : 0;
  } catch {
    return 0;
  }
};

export function tryWrite(file: string, value: string): boolean {
  try {
    writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

export function killProcessesIn(procsFile: string, spare?: number): void {
  for (let round = 0; round < 20; round += 1) {
    let pids: number[];
    try {
      pids = readFileSync(procsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(Number)
        .filter((pid) => pid !== spare);
    } catch {
      return;
    }
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

async function removeDirectories(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      try {
        rmdirSync(dir);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') break;
        killProcessesIn(path.join(dir, 'cgroup.procs'));
        await sleep(20); // the last processes of the run are still exiting
      }
    }
  }
}

export function tryRmdir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // best effort
  }
}

let runCounter = 0;
export const runCgroupName = () => `toolsmith-${process.pid}-${(runCounter += 1)}`;

/** Whether a process exists (EPERM: it does, someone else's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the empty cgroups of earlier worker processes that died before cleaning up. Only empty
 * ones: a pid we cannot see may be a live worker in another PID namespace.
 */
export function sweepStaleCgroups(parent: string): void {
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  for (const entry of entries) {
    const match = /^toolsmith-(\d+)-/.exec(entry);
    if (!match || Number(match[1]) === process.pid || isAlive(Number(match[1]))) continue;
    try {
      rmdirSync(path.join(parent, entry));
    } catch {
      // still busy: the next sweep
    }
  }
}

/** A run's cgroup(s), v1 or v2 alike: the dirs it joins, its counters, and how to kill and remove it. */
export function runCgroup(parts: {
  dirs: string[];
  pidsDir: string;
  oomEventsFile: string | undefined;
  setLimits: (limits: CgroupLimits) => void;
  killAll: (spare?: number) => void;
}): RunCgroup {
  return {
    procsFiles: parts.dirs.map((dir) => path.join(dir, 'cgroup.procs')),
    counters: () => ({
      pidsMaxHits: readNumber(path.join(parts.pidsDir, 'pids.events'), 'max'),
      oomKills: parts.oomEventsFile ? readNumber(parts.oomEventsFile, 'oom_kill') : 0,
    }),
    update: parts.setLimits,
    killAll: parts.killAll,
    remove: async () => {
      parts.killAll();
      await removeDirectories(parts.dirs);
    },
  };
}
