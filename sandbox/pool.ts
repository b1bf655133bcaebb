import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Config } from '../config';
import { ServiceError, PYTHON_MODULE_NAME } from '../contract';
import { unavailable, type CgroupLimits, type RunCgroup } from './cgroups';
import { DEFAULT_PRELOAD } from './preload';
import {
  checkIsolation,
  createRunCgroup,
  failure,
  harnessLimits,
  interpretReply,
  killSandbox,
  limitsHitOf,
  MIB,
  notStarted,
  resolveLimits,
  sandboxHost,
  spawnSandbox,
  tail,
  treeMemoryBytes,
  type ProbeReply,
  type ProcessLimiter,
  type SandboxCounters,
  type SandboxExit,
  type SandboxIsolation,
  type SandboxLimits,
  type SandboxReply,
  type SandboxSettings,
} from './runner';

/**
 * The warm path: a pool of ready sandboxes. Each is the same bubblewrap sandbox as a cold run
 * (sandbox/runner.ts: namespaces, uid 65534, empty environment, read-only root, private /tmp),
 * holding a Python zygote (harness.py --serve) that has imported the runtime's heavy modules once
 * and forks a fresh worker for each call, with the call's limits applied to that worker. A call
 * costs a fork instead of a bubblewrap start and the imports.
 *
 * Between calls the zygote kills every process of the call, removes its SysV IPC objects, wipes
 * /tmp and /dev/shm and checks that nothing else a call can reach changed; it answers "tainted"
 * otherwise, and the pool replaces that sandbox (as it does one that died or ran out of time).
 * Each sandbox has its own cgroup, re-limited for each call (one call at a time per sandbox).
 */

export interface SandboxPoolSettings extends SandboxSettings {
  /** the most sandboxes (and so calls) at once (default 2) */
  size?: number;
  /** sandboxes kept running even when idle, started by warm() (default 1) */
  minWarm?: number;
  /** a sandbox idle this long is stopped while more than minWarm run (default 5 minutes) */
  idleMs?: number;
  /** how long a call waits for a sandbox when all are busy before SERVICE_UNAVAILABLE (default 5 s) */
  queueTimeoutMs?: number;
  /** the modules each sandbox imports once, before any call (default DEFAULT_PRELOAD, sandbox/preload.ts) */
  preload?: string[];
}

export interface SandboxPoolStats {
  size: number;
  /** running or starting */
  live: number;
  starting: number;
  idle: number;
  busy: number;
  queued: number;
  /** sandboxes started since the pool was created */
  started: number;
  /** sandboxes stopped since: tainted, dead, aborted, idle or closed */
  retired: number;
  /** modules to preload that the last sandbox to start could not import, with why */
  preloadFailed: Record<string, string>;
}

/** What a call through the pool is killed with when the zygote does not answer: wall time plus this. */
const BACKSTOP_GRACE_MS = 2_000;
/** the zygote's clean-up after a call (killing, wiping, checking) must finish within this */
const STATUS_TIMEOUT_MS = 10_000;
const STARTUP_TIMEOUT_MS = 30_000;
/** bubblewrap outside and the zygote (PID 1) inside, besides the call's processes */
const TASKS_OUTSIDE_CALL = 2;
/** the tree's memory while the zygote imports, before it reports its own size */
const STARTUP_MEMORY_ALLOWANCE = 512 * MIB;
const RETRY_AFTER_MS = 1_000;

interface ReadyMessage {
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

type ZygoteMessage = ReadyMessage | ResultMessage | StatusMessage;

interface WarmSandbox {
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

interface Waiter {
  resolve(sandbox: WarmSandbox): void;
  reject(error: unknown): void;
  timer?: NodeJS.Timeout;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Lines of JSON from the zygote on fd 3, its stderr kept for diagnostics, and its exit. */
function connect(child: ChildProcess, cgroup: RunCgroup | undefined, messageLimit: { bytes: number }) {
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

export function createSandboxPool(settings: SandboxPoolSettings) {
  const size = Math.max(1, settings.size ?? 2);
  const minWarm = Math.min(size, Math.max(0, settings.minWarm ?? 1));
  const idleMs = settings.idleMs ?? 300_000;
  const queueTimeoutMs = settings.queueTimeoutMs ?? 5_000;
  const preload = settings.preload ?? DEFAULT_PRELOAD;
  const defaultLimits = resolveLimits(settings.limits);
  const host = sandboxHost(settings);
  const sandboxes = new Set<WarmSandbox>();
  const waiters: Waiter[] = [];
  const counts = { started: 0, retired: 0 };
  const preloadedEnvironment = new Set<string>();
  let preloadFailed: Record<string, string> = {};
  let closed = false;
  let closing: Promise<void> | undefined;

  const invalid = preload.filter((name) => !PYTHON_MODULE_NAME.test(name));
  const live = () => sandboxes.size;
  const inState = (state: WarmSandbox['state']) => [...sandboxes].filter((sandbox) => sandbox.state === state);
  const closedError = () => unavailable('the sandbox pool is closed');

  /** a result line holds at most the output and the reply, JSON-escaped (at most 6 bytes a byte) */
  const messageBytes = (limits: Required<SandboxLimits>) => 12 * limits.outputBytes + MIB;

  function cgroupLimits(limits: Required<SandboxLimits>, zygoteBytes: number): CgroupLimits {
    return { pids: limits.processes + TASKS_OUTSIDE_CALL, memoryBytes: treeMemoryBytes(limits) + zygoteBytes };
  }

  /** Starts a sandbox and waits for its zygote's "ready"; SANDBOX_UNAVAILABLE when it cannot. */
  async function start(tmpBytes: number): Promise<WarmSandbox> {
    if (invalid.length) throw unavailable(`invalid module names to preload: ${invalid.join(', ')}`);
    const { bwrap, limiter, args, devices, release } = host.prepare({
      tmpBytes,
      asPid1: true,
      harnessArguments: ['--serve', preload.join(',')],
    });
    const applied = cgroupLimits({ ...defaultLimits, tmpBytes }, STARTUP_MEMORY_ALLOWANCE);
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
    const messageLimit = { bytes: messageBytes(defaultLimits) };
    const sandbox: WarmSandbox = {
      child,
      cgroup,
      release,
      tmpBytes,
      processLimiter: limiter.kind,
      state: 'starting',
      applied,
      messageLimit,
      ...connect(child, cgroup, messageLimit),
    };
    sandboxes.add(sandbox);
    counts.started += 1;
    // one that dies while idle is replaced before a call finds it
    void sandbox.exited.then(() => {
      if (sandbox.state === 'idle') void retire(sandbox);
    });
    const ready = await sandbox.next(STARTUP_TIMEOUT_MS);
    if (ready?.type !== 'ready' || sandbox.state === 'dead' || closed) {
      const why = ready
        ? 'an unexpected first message'
        : sandbox.ended()
          ? 'no message'
          : `no answer within ${STARTUP_TIMEOUT_MS} ms`;
      await retire(sandbox, false);
      if (closed) throw closedError();
      const { code, signal } = await sandbox.exited;
      throw notStarted(code, signal, sandbox.diagnostics() || why);
    }
    sandbox.ready = ready;
    preloadFailed = ready.failed;
    for (const name of ready.environmentAdded) preloadedEnvironment.add(name);
    return sandbox;
  }

  /** Stops a sandbox for good (idempotent), and (unless it never started) starts what the pool still needs. */
  function retire(sandbox: WarmSandbox, replace = true): Promise<void> {
    sandbox.retiring ??= (async () => {
      sandbox.state = 'dead';
      clearTimeout(sandbox.idleTimer);
      sandboxes.delete(sandbox);
      counts.retired += 1;
      // until it is gone, it keeps the process alive (a close() must be able to finish)
      sandbox.child.ref();
      for (const stream of sandbox.child.stdio) (stream as Socket | null)?.ref?.();
      killSandbox(sandbox.child, sandbox.cgroup);
      await sandbox.exited;
      await sandbox.cgroup?.remove();
      sandbox.release();
    })();
    if (replace) replenish();
    return sandbox.retiring;
  }

  /** A sandbox is free: to the longest waiting call, else idle (and stopped after idleMs above minWarm). */
  function offer(sandbox: WarmSandbox): void {
    if (closed || sandbox.tmpBytes !== defaultLimits.tmpBytes) {
      void retire(sandbox);
      return;
    }
    const waiter = waiters.shift();
    if (waiter) {
      leaveQueue(waiter);
      sandbox.state = 'busy';
      waiter.resolve(sandbox);
      return;
    }
    sandbox.state = 'idle';
    sandbox.idleTimer = setTimeout(() => {
      if (sandbox.state === 'idle' && live() > minWarm) void retire(sandbox);
    }, idleMs);
    sandbox.idleTimer.unref();
  }

  /** Starts sandboxes for waiting calls and up to minWarm, one at a time. */
  function replenish(): void {
    if (closed) return;
    const starting = inState('starting').length;
    if (live() >= size || (waiters.length <= starting && live() >= minWarm)) return;
    start(defaultLimits.tmpBytes).then(
      (sandbox) => {
        offer(sandbox);
        replenish();
      },
      (error: unknown) => {
        // nothing left to serve the waiting calls: they fail as the start did
        if (live() === 0) for (const waiter of waiters.splice(0)) rejectWaiter(waiter, error);
      },
    );
  }

  function leaveQueue(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    const index = waiters.indexOf(waiter);
    if (index >= 0) waiters.splice(index, 1);
  }

  function rejectWaiter(waiter: Waiter, error: unknown): void {
    leaveQueue(waiter);
    waiter.reject(error);
  }

  function atCapacity(): ServiceError {
    return new ServiceError(
      'SERVICE_UNAVAILABLE',
      `The tool executor is at capacity: ${size} of ${size} sandboxes are busy and none came free within ` +
        `${queueTimeoutMs} ms; retry shortly.`,
      { retryAfterMs: RETRY_AFTER_MS, retryable: true },
    );
  }

  /** A sandbox for one call: an idle one, a new one while below size, else the next to come free. */
  async function acquire(signal: AbortSignal | undefined): Promise<WarmSandbox> {
    const idle = inState('idle').pop();
    if (idle) {
      clearTimeout(idle.idleTimer);
      idle.state = 'busy';
      return idle;
    }
    if (live() < size) {
      const sandbox = await start(defaultLimits.tmpBytes);
      if (signal?.aborted) offer(sandbox);
      signal?.throwIfAborted();
      sandbox.state = 'busy';
      return sandbox;
    }
    // A sandbox still starting (warm() at start-up, a replacement) or cleaning up after a call that
    // has answered is on its way, not capacity in use: the call waits for it however short the
    // queue timeout (a client calling one call after another is never refused).
    const comingFree = inState('starting').length + [...sandboxes].filter((sandbox) => sandbox.settling).length;
    const onItsWay = comingFree > waiters.length;
    if (!onItsWay && queueTimeoutMs <= 0) throw atCapacity();
    return new Promise<WarmSandbox>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (!onItsWay) waiter.timer = setTimeout(() => rejectWaiter(waiter, atCapacity()), queueTimeoutMs);
      if (signal) {
        waiter.onAbort = () => rejectWaiter(waiter, signal.reason);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      waiters.push(waiter);
    });
  }

  /** The same sandbox slot with other fixed settings (another /tmp size) or a cgroup that cannot be re-limited. */
  async function replace(sandbox: WarmSandbox, tmpBytes: number): Promise<WarmSandbox> {
    const fresh = start(tmpBytes);
    void retire(sandbox);
    const started = await fresh;
    started.state = 'busy';
    return started;
  }

  /** After the result: the sandbox is busy until the zygote says it is clean again. */
  async function settle(sandbox: WarmSandbox): Promise<void> {
    sandbox.settling = true;
    const status = await sandbox.next(STATUS_TIMEOUT_MS);
    sandbox.settling = false;
    if (status?.type === 'status' && status.clean && sandbox.state === 'busy') offer(sandbox);
    else await retire(sandbox);
  }

  async function run<T>(
    sandbox: WarmSandbox,
    request: Record<string, unknown>,
    limits: Required<SandboxLimits>,
    abortSignal: AbortSignal | undefined,
  ): Promise<SandboxReply<T>> {
    if (abortSignal?.aborted) offer(sandbox);
    abortSignal?.throwIfAborted();
    sandbox.messageLimit.bytes = messageBytes(limits);
    const counters = (): SandboxCounters => sandbox.cgroup?.counters() ?? { pidsMaxHits: 0, oomKills: 0 };
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
      void settle(sandbox);
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
    await retire(sandbox);
    abortSignal?.throwIfAborted();
    if (closed) throw closedError();
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

  /**
   * Runs a request in a warm sandbox: the same requests, replies and limits as the cold
   * `Sandbox.request` (sandbox/runner.ts). Throws SANDBOX_UNAVAILABLE when no sandbox can be
   * started (nothing ever runs outside one), SERVICE_UNAVAILABLE (retryable) when every sandbox
   * stayed busy for queueTimeoutMs, and the abort reason when aborted.
   */
  async function request<T>(
    request: Record<string, unknown>,
    overrides: Partial<SandboxLimits> = {},
    abortSignal?: AbortSignal,
  ): Promise<SandboxReply<T>> {
    if (closed) throw closedError();
    abortSignal?.throwIfAborted();
    const limits = resolveLimits(settings.limits, overrides);
    let sandbox = await acquire(abortSignal);
    try {
      if (sandbox.tmpBytes !== limits.tmpBytes) sandbox = await replace(sandbox, limits.tmpBytes);
      const wanted = cgroupLimits(limits, sandbox.ready!.rssBytes);
      const limit = (target: WarmSandbox) => {
        if (target.applied.pids === wanted.pids && target.applied.memoryBytes === wanted.memoryBytes) return;
        target.cgroup?.update(wanted);
        target.applied = wanted;
      };
      try {
        limit(sandbox);
      } catch {
        // e.g. memory in use above the new limit: a fresh sandbox in its place
        sandbox = await replace(sandbox, limits.tmpBytes);
        try {
          limit(sandbox);
        } catch (error) {
          throw unavailable(`cannot limit the sandbox's cgroup: ${(error as Error).message}`, error);
        }
      }
    } catch (error) {
      void retire(sandbox);
      throw error;
    }
    return run<T>(sandbox, request, limits, abortSignal);
  }

  /** Starts minWarm sandboxes now, so the first calls are warm; SANDBOX_UNAVAILABLE if they cannot start. */
  async function warm(): Promise<void> {
    if (closed) throw closedError();
    const starts: Promise<WarmSandbox>[] = [];
    for (let count = live(); count < minWarm; count += 1) starts.push(start(defaultLimits.tmpBytes));
    const outcomes = await Promise.allSettled(starts);
    for (const outcome of outcomes) if (outcome.status === 'fulfilled') offer(outcome.value);
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Proves a warm sandbox isolates like a cold one (uid, network, environment), from a call's worker. */
  async function verify(): Promise<SandboxIsolation> {
    const outcome = await request<ProbeReply>({ mode: 'probe' });
    return checkIsolation(outcome, host.treeMemoryLimit(), [...preloadedEnvironment]);
  }

  /** Kills every sandbox and removes their cgroups; waiting calls fail with SANDBOX_UNAVAILABLE. Idempotent. */
  function close(): Promise<void> {
    closing ??= (async () => {
      closed = true;
      for (const waiter of waiters.splice(0)) rejectWaiter(waiter, closedError());
      await Promise.all([...sandboxes].map((sandbox) => retire(sandbox)));
    })();
    return closing;
  }

  function stats(): SandboxPoolStats {
    return {
      size,
      live: live(),
      starting: inState('starting').length,
      idle: inState('idle').length,
      busy: inState('busy').length,
      queued: waiters.length,
      ...counts,
      preloadFailed,
    };
  }

  return { request, verify, warm, close, stats };
}

export type SandboxPool = ReturnType<typeof createSandboxPool>;

export { DEFAULT_PRELOAD } from './preload';

/** The validation sandbox's limits besides the configured ones, for the API's calls too. */
export const SANDBOX_CPU_SECONDS = 60;
export const SANDBOX_MAX_PROCESSES = 64;

/**
 * The pool for a role: the API's calls use the EXECUTOR_* limits, the worker's validation the
 * SANDBOX_* ones (and waits longer for a sandbox: it is a background job).
 */
export function sandboxPoolSettings(config: Config, role: 'api' | 'worker'): SandboxPoolSettings {
  const { executor, sandbox } = config;
  const perCall = role === 'api' ? executor : sandbox;
  return {
    runtimeDir: sandbox.runtimeDir,
    bwrapPath: sandbox.bwrapPath,
    limits: {
      wallTimeMs: perCall.wallTimeMs,
      memoryMb: perCall.memoryMb,
      outputBytes: perCall.outputBytes,
      cpuSeconds: SANDBOX_CPU_SECONDS,
      processes: SANDBOX_MAX_PROCESSES,
    },
    size: role === 'api' ? executor.poolSize : sandbox.poolSize,
    minWarm: executor.minWarm,
    idleMs: executor.idleMs,
    queueTimeoutMs: role === 'api' ? executor.queueTimeoutMs : sandbox.queueTimeoutMs,
    preload: executor.preload,
  };
}

export function sandboxPoolFromConfig(config: Config, role: 'api' | 'worker'): SandboxPool {
  return createSandboxPool(sandboxPoolSettings(config, role));
}
