import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { ServiceError } from '../contract';
import { createRunCgroup, type SandboxHost } from './host';
import { MIB, treeMemoryBytes, type SandboxLimits } from './limits';
import type { ProcessLimiter } from './outcome';
import type { CgroupLimits, RunCgroup } from './run-cgroup';
import { killSandbox, spawnSandbox } from './spawn';
import { unavailable } from './unavailable';
import { connect, messageBytes, type ReadyMessage, type ZygoteMessage } from './zygote';

/**
 * One warm sandbox of the pool: the same bubblewrap sandbox as a cold run (sandbox/bwrap.ts), with
 * the zygote as its PID 1, in a cgroup of its own that is re-limited for each call. How it starts,
 * is limited and stops; when, and for which call, is the pool's (sandbox/pool.ts).
 */

/** bubblewrap outside and the zygote (PID 1) inside, besides the call's processes */
const TASKS_OUTSIDE_CALL = 2;
/** the tree's memory while the zygote imports, before it reports its own size */
const STARTUP_MEMORY_ALLOWANCE = 512 * MIB;

export interface WarmSandbox {
  child: ChildProcess;
  cgroup: RunCgroup | undefined;
  /** removes what the sandbox had on the host besides its cgroup (its device nodes) */
  release(): void;
  tmpBytes: number;
  processLimiter: ProcessLimiter;
  state: 'starting' | 'idle' | 'busy' | 'dead';
  ready?: ReadyMessage;
  /** the largest protocol line accepted: the zygote's result holds the call's capped output and reply */
  messageLimit: { bytes: number };
  /** the cgroup's limits now */
  applied: CgroupLimits;
  next(timeoutMs: number): Promise<ZygoteMessage | undefined>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ended(): boolean;
  diagnostics(): string;
  idleTimer?: NodeJS.Timeout;
  retiring?: Promise<void>;
  /** its call has answered and the zygote is cleaning up: free again in a few milliseconds */
  settling?: boolean;
}

/** The cgroup's limits for a call: its processes and memory, and the zygote's own (`zygoteBytes`). */
export function callCgroupLimits(limits: Required<SandboxLimits>, zygoteBytes: number): CgroupLimits {
  return { pids: limits.processes + TASKS_OUTSIDE_CALL, memoryBytes: treeMemoryBytes(limits) + zygoteBytes };
}

/**
 * Starts bubblewrap with the zygote inside (harness.py --serve, importing `preload`), in a cgroup
 * limited for its start-up, and connects to it. `spawned` sees the sandbox as soon as its process
 * exists, before this returns (the pool counts it at once); SANDBOX_UNAVAILABLE when it cannot
 * start, with what it made removed. Its "ready" is the caller's to wait for.
 */
export async function spawnWarmSandbox(
  host: SandboxHost,
  preload: string[],
  limits: Required<SandboxLimits>,
  spawned: (sandbox: WarmSandbox) => void,
): Promise<WarmSandbox> {
  const { bwrap, limiter, args, devices, release } = host.prepare({
    tmpBytes: limits.tmpBytes,
    asPid1: true,
    harnessArguments: ['--serve', preload.join(',')],
  });
  const applied = callCgroupLimits(limits, STARTUP_MEMORY_ALLOWANCE);
  let cgroup: RunCgroup | undefined;
  let child: ChildProcess;
  try {
    cgroup = createRunCgroup(limiter, applied);
    child = spawnSandbox(bwrap, args, cgroup, devices);
  } catch (error) {
    await cgroup?.remove();
    release();
    if (error instanceof ServiceError) throw error;
    throw unavailable(`bubblewrap could not be started (${bwrap}): ${(error as Error).message}`, error);
  }
  const messageLimit = { bytes: messageBytes(limits) };
  const sandbox: WarmSandbox = {
    child,
    cgroup,
    release,
    tmpBytes: limits.tmpBytes,
    processLimiter: limiter.kind,
    state: 'starting',
    applied,
    messageLimit,
    ...connect(child, cgroup, messageLimit),
  };
  spawned(sandbox);
  return sandbox;
}

/** Sets the cgroup's limits for a call (nothing to do when they are already those); throws when they cannot be set. */
export function limitCgroup(sandbox: WarmSandbox, wanted: CgroupLimits): void {
  if (sandbox.applied.pids === wanted.pids && sandbox.applied.memoryBytes === wanted.memoryBytes) return;
  sandbox.cgroup?.update(wanted);
  sandbox.applied = wanted;
}

/** Kills every process of the sandbox, waits for its end, and removes its cgroup and device nodes. */
export async function stopWarmSandbox(sandbox: WarmSandbox): Promise<void> {
  sandbox.state = 'dead';
  clearTimeout(sandbox.idleTimer);
  // until it is gone, it keeps the process alive (a close() must be able to finish)
  sandbox.child.ref();
  for (const stream of sandbox.child.stdio) (stream as Socket | null)?.ref?.();
  killSandbox(sandbox.child, sandbox.cgroup);
  await sandbox.exited;
  await sandbox.cgroup?.remove();
  sandbox.release();
}
