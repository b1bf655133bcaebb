import os from 'node:os';
import { SANDBOX_ENVIRONMENT, SANDBOX_UID } from './bwrap';
import type { SandboxLimits } from './limits';
import type { CgroupCounters } from './run-cgroup';
import { unavailable } from './unavailable';

/**
 * What a finished run means, for the cold runner and the pool alike: which limits it hit, why it
 * ended without a reply, the reply itself, and what a probe run proves about the isolation.
 */

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

export interface ProbeReply {
  uid: number;
  interfaces: string[];
  environment: string[];
}

const SIGNAL_EXIT_BASE = 128;
const CPU_EXIT = SIGNAL_EXIT_BASE + os.constants.signals.SIGXCPU;
const FSIZE_EXIT = SIGNAL_EXIT_BASE + os.constants.signals.SIGXFSZ;

/** Every limit seen to be hit during a run: how it was stopped, its exit status, the cgroup's counters. */
export function limitsHitOf(
  run: Pick<SandboxExit, 'timedOut' | 'outputLimitExceeded' | 'replyLimitExceeded' | 'exitCode'>,
  counters: CgroupCounters,
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
