import { harnessLimits, type SandboxLimits } from './limits';
import { failure, interpretReply, limitsHitOf, type SandboxExit, type SandboxReply } from './outcome';
import type { CgroupCounters } from './run-cgroup';
import { killSandbox } from './spawn';
import type { WarmSandbox } from './warm-sandbox';
import { messageBytes, STATUS_TIMEOUT_MS } from './zygote';

/**
 * One call in a warm sandbox: the request and its limits to the zygote, which forks a fresh worker
 * for it; its result read back as the same outcome a cold run gives (sandbox/outcome.ts). The
 * limits hit are the zygote's report and the sandbox's cgroup counters, read before and after.
 */

/** What a call through the pool is killed with when the zygote does not answer: wall time plus this. */
const BACKSTOP_GRACE_MS = 2_000;

/** What a call hands its sandbox back to: the pool (sandbox/pool.ts). */
export interface CallingPool {
  /** the sandbox was not used (the call was aborted before it began) */
  offer(sandbox: WarmSandbox): void;
  /** the call has its result: the sandbox comes free once the zygote says it is clean */
  settle(sandbox: WarmSandbox): Promise<void>;
  /** the sandbox died, did not answer in time, or its call was aborted */
  retire(sandbox: WarmSandbox): Promise<void>;
  throwIfClosed(): void;
}

export async function runWarmCall<T>(
  sandbox: WarmSandbox,
  request: Record<string, unknown>,
  limits: Required<SandboxLimits>,
  abortSignal: AbortSignal | undefined,
  pool: CallingPool,
): Promise<SandboxReply<T>> {
  if (abortSignal?.aborted) pool.offer(sandbox);
  abortSignal?.throwIfAborted();
  sandbox.messageLimit.bytes = messageBytes(limits);
  const counters = (): CgroupCounters => sandbox.cgroup?.counters() ?? { pidsMaxHits: 0, oomKills: 0 };
  const before = counters();
  const started = Date.now();
  let timedOut = false;
  let aborted = false;
  const backstop = setTimeout(() => {
    timedOut = true;
    killSandbox(sandbox.child, sandbox.cgroup);
  }, limits.wallTimeMs + BACKSTOP_GRACE_MS);
  const onAbort = () => {
    aborted = true;
    killSandbox(sandbox.child, sandbox.cgroup);
  };
  abortSignal?.addEventListener('abort', onAbort, { once: true });
  sandbox.child.stdin!.write(
    `${JSON.stringify({
      request,
      limits: { ...harnessLimits(limits), wallTimeMs: limits.wallTimeMs, outputBytes: limits.outputBytes },
    })}\n`,
  );
  const message = await sandbox.next(limits.wallTimeMs + BACKSTOP_GRACE_MS + STATUS_TIMEOUT_MS);
  clearTimeout(backstop);
  abortSignal?.removeEventListener('abort', onAbort);
  const after = counters();
  const delta = { pidsMaxHits: after.pidsMaxHits - before.pidsMaxHits, oomKills: after.oomKills - before.oomKills };
  const { processLimiter } = sandbox;
  if (message?.type === 'result' && !aborted) {
    void pool.settle(sandbox);
    const exit: SandboxExit = {
      exitCode: message.exitCode,
      signal: null,
      stdout: message.stdout,
      stderr: message.stderr,
      timedOut: message.timedOut,
      outputLimitExceeded: message.outputLimitExceeded,
      replyLimitExceeded: message.replyLimitExceeded,
      durationMs: Date.now() - started,
      limitsHit: limitsHitOf(message, delta),
      processLimiter,
    };
    return interpretReply<T>(message.reply ?? undefined, exit, limits);
  }
  // The sandbox died (a call killed it, or ran out of memory), did not answer in time, or was aborted.
  await pool.retire(sandbox);
  abortSignal?.throwIfAborted();
  pool.throwIfClosed();
  const { code, signal } = await sandbox.exited;
  const run = { exitCode: code, timedOut, outputLimitExceeded: false, replyLimitExceeded: false };
  const exit: SandboxExit = {
    ...run,
    signal,
    stdout: '',
    stderr: '',
    durationMs: Date.now() - started,
    limitsHit: limitsHitOf(run, delta),
    processLimiter,
  };
  return { ok: false, exit, ...failure(exit, limits) };
}
