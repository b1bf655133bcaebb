/** The limits of a run, and what they come to inside (harness.py's rlimits) and outside (the cgroup). */

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

export const MIB = 1024 * 1024;
export const DEFAULT_TMP_BYTES = 64 * MIB;
/** the size of the private /dev/shm */
export const SHM_BYTES = 16 * MIB;
/** bubblewrap, the supervisor and Python's own overhead beyond the tool's address space */
const TREE_MEMORY_OVERHEAD = 64 * MIB;

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
