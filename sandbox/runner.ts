import type { ChildProcess } from 'node:child_process';
import type { Limiter } from './cgroups';
import { createRunCgroup, sandboxHost, type SandboxSettings } from './host';
import { harnessLimits, resolveLimits, treeMemoryBytes, type SandboxLimits } from './limits';
import {
  checkIsolation,
  interpretReply,
  limitsHitOf,
  notStarted,
  type ProbeReply,
  type SandboxExit,
  type SandboxIsolation,
  type SandboxReply,
} from './outcome';
import type { RunCgroup } from './run-cgroup';
import { killSandbox, spawnSandbox } from './spawn';
import { unavailable } from './unavailable';

/**
 * The cold runner: one bubblewrap (sandbox/bwrap.ts), one Python, one request. The harness says it
 * is up on its channel (fd 3), reads the request on stdin, and answers one line on the channel;
 * the wall time and the output bytes are enforced from here by killing the whole tree. The warm
 * path, the same sandbox kept running, is sandbox/pool.ts.
 */

const READY_LINE = 'TOOLSMITH-HARNESS-READY\n';
/** sh→bwrap, bubblewrap's init inside the PID namespace, the harness's supervisor */
const TASKS_OUTSIDE_TOOL = 3;
/** after the reply is complete, the sandbox gets this long to exit by itself before it is killed */
const EXIT_GRACE_MS = 2_000;

interface RawRun {
  exit: SandboxExit;
  started: boolean;
  replyLine?: string;
}

export function createSandbox(settings: SandboxSettings) {
  const host = sandboxHost(settings);

  function runSandbox(
    bwrap: string,
    child: ChildProcess,
    input: string,
    limits: Required<SandboxLimits>,
    limiter: Limiter,
    cgroup: RunCgroup | undefined,
    abortSignal: AbortSignal | undefined,
  ): Promise<RawRun> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const output: { stdout: Buffer[]; stderr: Buffer[] } = { stdout: [], stderr: [] };
      const replyChunks: Buffer[] = [];
      let outputBytes = 0;
      let replyBytes = 0;
      let timedOut = false;
      let outputLimitExceeded = false;
      let replyLimitExceeded = false;
      let replyComplete = false;
      let replyLines = 0; // the ready line, then the reply
      let graceTimer: NodeJS.Timeout | undefined;

      const killTree = () => killSandbox(child, cgroup);
      const wallTimer = setTimeout(() => {
        timedOut = true;
        killTree();
      }, limits.wallTimeMs);
      // A cancelled activity (the job was cancelled, or its deadline passed) stops the tool at once.
      abortSignal?.addEventListener('abort', killTree, { once: true });

      const collect = (into: Buffer[]) => (chunk: Buffer) => {
        const room = limits.outputBytes - outputBytes;
        outputBytes += chunk.length;
        if (room > 0) into.push(room >= chunk.length ? chunk : chunk.subarray(0, room));
        if (outputBytes > limits.outputBytes && !outputLimitExceeded && !replyComplete) {
          outputLimitExceeded = true;
          killTree();
        }
      };
      child.stdout!.on('data', collect(output.stdout));
      child.stderr!.on('data', collect(output.stderr));
      const replyStream = child.stdio[3] as NodeJS.ReadableStream;
      replyStream.on('data', (chunk: Buffer) => {
        replyBytes += chunk.length;
        if (replyBytes > limits.outputBytes + READY_LINE.length) {
          if (!replyLimitExceeded) {
            replyLimitExceeded = true;
            killTree();
          }
          return;
        }
        replyChunks.push(chunk);
        for (const byte of chunk) if (byte === 0x0a) replyLines += 1;
        if (!replyComplete && replyLines >= 2) {
          // the reply line is complete: the run is over, whatever its processes still do
          replyComplete = true;
          clearTimeout(wallTimer);
          graceTimer = setTimeout(killTree, EXIT_GRACE_MS);
        }
      });
      child.stdin!.on('error', () => undefined);
      child.on('error', (error) => {
        clearTimeout(wallTimer);
        clearTimeout(graceTimer);
        reject(unavailable(`bubblewrap could not be started (${bwrap}): ${error.message}`, error));
      });
      child.on('close', (exitCode, signal) => {
        clearTimeout(wallTimer);
        clearTimeout(graceTimer);
        abortSignal?.removeEventListener('abort', killTree);
        const run = { exitCode, timedOut, outputLimitExceeded, replyLimitExceeded };
        const reply = Buffer.concat(replyChunks).toString('utf8');
        const isStarted = reply.startsWith(READY_LINE);
        const replyLine = isStarted ? reply.slice(READY_LINE.length).split('\n') : [];
        resolve({
          started: isStarted,
          replyLine: replyLine.length > 1 ? replyLine[0] : undefined,
          exit: {
            ...run,
            signal,
            stdout: Buffer.concat(output.stdout).toString('utf8'),
            stderr: Buffer.concat(output.stderr).toString('utf8'),
            durationMs: Date.now() - started,
            limitsHit: limitsHitOf(run, cgroup?.counters() ?? { pidsMaxHits: 0, oomKills: 0 }),
            processLimiter: limiter.kind,
          },
        });
      });
      child.stdin!.end(input);
    });
  }

  /**
   * Runs a request and returns the harness's JSON reply. A sandbox that cannot start (no bubblewrap,
   * no namespaces, no way to limit processes) throws ServiceError(SANDBOX_UNAVAILABLE): nothing
   * ever runs outside it. A tool that blows a limit or dies without replying is reported as what
   * happened, with the limit's kind.
   */
  async function request<T>(
    request: Record<string, unknown>,
    overrides: Partial<SandboxLimits> = {},
    abortSignal?: AbortSignal,
  ): Promise<SandboxReply<T>> {
    const limits = resolveLimits(settings.limits, overrides);
    const { bwrap, limiter, args, devices, release } = host.prepare({ tmpBytes: limits.tmpBytes });
    const input = JSON.stringify({ ...request, limits: harnessLimits(limits) });
    let cgroup: RunCgroup | undefined;
    let run: RawRun;
    try {
      cgroup = createRunCgroup(limiter, {
        pids: limits.processes + TASKS_OUTSIDE_TOOL,
        memoryBytes: treeMemoryBytes(limits),
      });
      const child = spawnSandbox(bwrap, args, cgroup, devices);
      run = await runSandbox(bwrap, child, input, limits, limiter, cgroup, abortSignal);
    } finally {
      await cgroup?.remove();
      release();
    }
    abortSignal?.throwIfAborted();
    const { exit } = run;
    if (!run.started) {
      const detail = exit.stderr.trim() || (exit.timedOut ? `no answer within ${limits.wallTimeMs} ms` : 'no message');
      throw notStarted(exit.exitCode, exit.signal, detail);
    }
    return interpretReply<T>(run.replyLine, exit, limits);
  }

  /**
   * Proves the sandbox starts and isolates (unprivileged uid, no network but loopback, no host
   * environment), so a broken bubblewrap is reported before any tool is tried.
   */
  async function verify(): Promise<SandboxIsolation> {
    return checkIsolation(await request<ProbeReply>({ mode: 'probe' }), host.treeMemoryLimit());
  }

  return { request, verify };
}

export type Sandbox = ReturnType<typeof createSandbox>;
