import type { TestCase } from '../contract';
import type { SandboxLimits } from './limits';
import type { SandboxLimitKind, SandboxReply } from './outcome';
import type { Sandbox } from './runner';

export type { SandboxLimitKind } from './outcome';

/** What runs requests: a cold sandbox (sandbox/runner.ts) or a pool of warm ones (sandbox/pool.ts). */
export type SandboxRunner = Pick<Sandbox, 'request'>;

/** The JSON the harness (sandbox/harness.py) answers, per mode. */
export interface PythonError {
  type: string;
  /** with a limit, ends in a hint for the model, e.g. "(the sandbox allows 2048 MB of memory)" */
  message: string;
  /**
   * In a test run and a call: the tool's own frames (and the innermost frame, when it is in a
   * library), the last ~20 lines, at most ~2 KB. In a harnessError: the whole traceback.
   */
  traceback: string;
  /** the sandbox limit this exception most likely comes from (MemoryError, fork/thread EAGAIN, EFBIG/ENOSPC) */
  limit?: SandboxLimitKind;
}

/**
 * pass: returned the expected output, or raised as `raises` expects; mismatch: returned another
 * value; exception: raised where it should return; not_serializable: returned a value that is not
 * JSON; no_exception: returned where it should raise; wrong_exception: raised another exception than
 * `raises` names, or one whose message lacks `match`.
 */
export type TestOutcome = 'pass' | 'mismatch' | 'exception' | 'not_serializable' | 'no_exception' | 'wrong_exception';

export interface TestResult {
  index: number;
  outcome: TestOutcome;
  /** what it returned (pass and mismatch of an output test, no_exception); the repr when not_serializable */
  actual?: unknown;
  /** what it raised (exception, wrong_exception) or why its value is not JSON (not_serializable) */
  error?: PythonError;
}

export interface TestRunReply {
  loaded: boolean;
  loadError?: PythonError;
  results: TestResult[];
}

export interface ToolCallReply {
  ok: boolean;
  output?: unknown;
  error?: PythonError;
}

/**
 * Every limit a run hit: the ones seen from outside (the run was stopped, a cgroup counter moved)
 * and the ones the tool's exceptions point at (e.g. a MemoryError it raised under RLIMIT_AS).
 */
export function limitsHit(outcome: SandboxReply<TestRunReply | ToolCallReply>): SandboxLimitKind[] {
  const found = new Set<SandboxLimitKind>(outcome.exit.limitsHit);
  if (!outcome.ok) {
    if (outcome.limit) found.add(outcome.limit);
  } else {
    const reply = outcome.reply;
    const errors =
      'results' in reply ? [reply.loadError, ...reply.results.map((result) => result.error)] : [reply.error];
    for (const error of errors) if (error?.limit) found.add(error.limit);
  }
  return [...found];
}

/** Runs a tool's test cases in the sandbox. `problem` is set when the run itself broke down. */
export async function runToolTests(
  sandbox: SandboxRunner,
  code: string,
  functionName: string,
  testCases: TestCase[],
  signal?: AbortSignal,
) {
  return sandbox.request<TestRunReply>({ mode: 'test', source: code, functionName, testCases }, {}, signal);
}

/** Calls a tool once in the sandbox, with the runner's limits or `overrides`; `signal` stops it. */
export async function callTool(
  sandbox: SandboxRunner,
  code: string,
  functionName: string,
  input: Record<string, unknown>,
  signal?: AbortSignal,
  overrides: Partial<SandboxLimits> = {},
) {
  return sandbox.request<ToolCallReply>({ mode: 'call', source: code, functionName, input }, overrides, signal);
}
