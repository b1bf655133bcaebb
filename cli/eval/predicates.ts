import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { defaultToolRuntimeDir } from '../../infra/cache';

/** Whether a held-out call's predicate held, and why not. */
export interface PredicateVerdict {
  passed: boolean;
  error: string | null;
}

export interface PredicateChecker {
  check(source: string, input: Record<string, unknown>, output: unknown): Promise<PredicateVerdict>;
  /** stops the Python process, if one is running */
  close(): void;
}

const RUNNER = path.join(__dirname, 'predicate_runner.py');
export const DEFAULT_PREDICATE_TIMEOUT_MS = 10_000;

/**
 * The Python predicates run with: the tool runtime's interpreter (TOOL_RUNTIME_DIR, or the
 * provisioned one), so a predicate may use what the tools use; python3 when there is none.
 */
export function defaultPredicatePython(): string {
  const venv = process.env.TOOL_RUNTIME_DIR || defaultToolRuntimeDir();
  const python = path.join(venv, 'bin', 'python');
  return existsSync(python) ? python : 'python3';
}

interface Pending {
  settle(verdict: PredicateVerdict): void;
}

/**
 * Runs predicates one at a time in one long-lived Python process (the suite author's code: trusted
 * like the suite, so not sandboxed). Whatever a predicate does, its check ends with a verdict: a
 * raise is reported by the runner, a predicate that kills its interpreter or outlives `timeoutMs`
 * fails its check, and the next check starts a fresh interpreter.
 */
export function createPredicateChecker(
  pythonPath = defaultPredicatePython(),
  timeoutMs = DEFAULT_PREDICATE_TIMEOUT_MS,
): PredicateChecker {
  let child: ChildProcessWithoutNullStreams | null = null;
  let pending: Pending | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  /** the end of what the current check's predicate wrote to stderr: why its interpreter died, if it did */
  let stderr = '';

  const settle = (verdict: PredicateVerdict) => {
    const waiting = pending;
    pending = null;
    waiting?.settle(verdict);
  };

  function start(): ChildProcessWithoutNullStreams {
    const started = spawn(pythonPath, ['-u', RUNNER], { stdio: ['pipe', 'pipe', 'pipe'] });
    started.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2_000);
    });
    // A process that is no longer the current one (killed after a time-out) settles nothing.
    createInterface({ input: started.stdout }).on('line', (line) => {
      if (child !== started) return;
      try {
        settle(JSON.parse(line) as PredicateVerdict);
      } catch {
        settle({ passed: false, error: `the predicate runner answered something that is not JSON: ${line}` });
      }
    });
    const ended = (why: string) => {
      if (child !== started) return;
      child = null;
      settle({ passed: false, error: `${why}${stderr.trim() ? `: ${stderr.trim().split('\n').at(-1)}` : ''}` });
    };
    started.stdin.on('error', () => undefined); // a dead interpreter: its exit settles the check
    started.on('error', (error) => ended(`cannot run the predicates with ${pythonPath} (${error.message})`));
    started.on('exit', (code, signal) => ended(`the predicate ended its Python process (${signal ?? `exit ${code}`})`));
    return started;
  }

  function checkNow(source: string, input: Record<string, unknown>, output: unknown): Promise<PredicateVerdict> {
    child ??= start();
    const running = child;
    stderr = '';
    return new Promise<PredicateVerdict>((resolve) => {
      const timer = setTimeout(() => {
        settle({ passed: false, error: `the predicate did not finish within ${timeoutMs / 1000} s` });
        if (child === running) child = null;
        running.kill('SIGKILL');
      }, timeoutMs);
      pending = {
        settle(verdict) {
          clearTimeout(timer);
          resolve(verdict);
        },
      };
      running.stdin.write(`${JSON.stringify({ source, input, output })}\n`);
    });
  }

  return {
    check(source, input, output) {
      const turn = queue.then(() => checkNow(source, input, output));
      queue = turn.catch(() => undefined);
      return turn;
    },
    close() {
      child?.kill('SIGKILL');
      child = null;
    },
  };
}
