import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { MIB, type SandboxLimits } from './limits';
import { tail } from './outcome';
import type { RunCgroup } from './run-cgroup';
import { killSandbox } from './spawn';

/**
 * The pool's channel to a zygote (harness.py --serve): it writes one JSON line per call on the
 * zygote's stdin and reads JSON lines on fd 3, "ready" once, then per call a "result" and a
 * "status". A line that is not JSON, or one longer than the limit, kills the sandbox.
 */

/** the zygote's clean-up after a call (killing, wiping, checking) must finish within this */
export const STATUS_TIMEOUT_MS = 10_000;
/** from bubblewrap's start to the zygote's "ready", its imports included */
export const STARTUP_TIMEOUT_MS = 30_000;

/** The largest line accepted: a result holds at most the output and the reply, JSON-escaped (at most 6 bytes a byte). */
export const messageBytes = (limits: Required<SandboxLimits>) => 12 * limits.outputBytes + MIB;

export interface ReadyMessage {
  type: 'ready';
  preloaded: string[];
  failed: Record<string, string>;
  rssBytes: number;
  environmentAdded: string[];
}

interface ResultMessage {
  type: 'result';
  exitCode: number;
  stdout: string;
  stderr: string;
  reply: string | null;
  timedOut: boolean;
  outputLimitExceeded: boolean;
  replyLimitExceeded: boolean;
  durationMs: number;
}

interface StatusMessage {
  type: 'status';
  clean: boolean;
  problems: string[];
}

export type ZygoteMessage = ReadyMessage | ResultMessage | StatusMessage;

/** Lines of JSON from the zygote on fd 3, its stderr kept for diagnostics, and its exit. */
export function connect(child: ChildProcess, cgroup: RunCgroup | undefined, messageLimit: { bytes: number }) {
  const messages: ZygoteMessage[] = [];
  let waiting: ((message: ZygoteMessage | undefined) => void) | undefined;
  let pending = '';
  let diagnostics = '';
  let ended = false;
  const deliver = (message: ZygoteMessage | undefined) => {
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve(message);
    } else if (message) messages.push(message);
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('error', (error) => {
      diagnostics += `\n${error.message}`;
      ended = true;
      deliver(undefined);
      resolve({ code: null, signal: null });
    });
    child.on('close', (code, signal) => {
      ended = true;
      deliver(undefined);
      resolve({ code, signal });
    });
  });
  const channel = child.stdio[3] as Socket;
  channel.setEncoding('utf8');
  channel.on('data', (chunk: string) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      try {
        deliver(JSON.parse(line) as ZygoteMessage);
      } catch {
        diagnostics += `\nnot a protocol message: ${tail(line, 200)}`;
        killSandbox(child, cgroup);
      }
    }
    if (pending.length > messageLimit.bytes) {
      diagnostics += '\nthe zygote sent an oversized message';
      killSandbox(child, cgroup);
    }
  });
  const keep = (chunk: Buffer) => (diagnostics = tail(diagnostics + chunk.toString('utf8'), 4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.stdin!.on('error', () => undefined); // a zygote that died: its exit says what happened
  // An idle pool does not keep the process alive (calls in flight do, with their timers).
  child.unref();
  for (const stream of child.stdio) (stream as Socket | null)?.unref?.();

  function next(timeoutMs: number): Promise<ZygoteMessage | undefined> {
    if (messages.length) return Promise.resolve(messages.shift());
    if (ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiting = undefined;
        resolve(undefined);
      }, timeoutMs);
      waiting = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
    });
  }
  return { next, exited, ended: () => ended, diagnostics: () => diagnostics.trim() };
}
