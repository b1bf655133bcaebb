import { PYTHON_MODULE_NAME } from '../contract';
import { sandboxHost, type SandboxSettings } from './host';
import { resolveLimits, type SandboxLimits } from './limits';
import { checkIsolation, notStarted, type ProbeReply, type SandboxIsolation, type SandboxReply } from './outcome';
import { DEFAULT_PRELOAD } from './preload';
import { unavailable } from './unavailable';
import { runWarmCall } from './warm-call';
import { callCgroupLimits, limitCgroup, spawnWarmSandbox, stopWarmSandbox, type WarmSandbox } from './warm-sandbox';
import { atCapacity, createWaitingQueue } from './waiting-queue';
import { STARTUP_TIMEOUT_MS, STATUS_TIMEOUT_MS } from './zygote';

/**
 * The warm path: a pool of ready sandboxes. Each is the same bubblewrap sandbox as a cold run
 * (sandbox/bwrap.ts: namespaces, uid 65534, empty environment, read-only root, private /tmp),
 * holding a Python zygote (harness.py --serve) that has imported the runtime's heavy modules once
 * and forks a fresh worker for each call, with the call's limits applied to that worker. A call
 * costs a fork instead of a bubblewrap start and the imports.
 *
 * Between calls the zygote kills every process of the call, removes its SysV IPC objects, wipes
 * /tmp and /dev/shm and checks that nothing else a call can reach changed; it answers "tainted"
 * otherwise, and the pool replaces that sandbox (as it does one that died or ran out of time).
 * Each sandbox has its own cgroup, re-limited for each call (one call at a time per sandbox).
 *
 * Here: when sandboxes start, serve a call, wait idle and stop. One sandbox's start, limits and
 * stop are sandbox/warm-sandbox.ts; the channel to its zygote sandbox/zygote.ts; a call in it
 * sandbox/warm-call.ts; the calls waiting for one sandbox/waiting-queue.ts; the settings from
 * the configuration sandbox/pool-config.ts.
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

export function createSandboxPool(settings: SandboxPoolSettings) {
  const size = Math.max(1, settings.size ?? 2);
  const minWarm = Math.min(size, Math.max(0, settings.minWarm ?? 1));
  const idleMs = settings.idleMs ?? 300_000;
  const queueTimeoutMs = settings.queueTimeoutMs ?? 5_000;
  const preload = settings.preload ?? DEFAULT_PRELOAD;
  const defaultLimits = resolveLimits(settings.limits);
  const host = sandboxHost(settings);
  const sandboxes = new Set<WarmSandbox>();
  const waiters = createWaitingQueue<WarmSandbox>();
  const counts = { started: 0, retired: 0 };
  const preloadedEnvironment = new Set<string>();
  let preloadFailed: Record<string, string> = {};
  let closed = false;
  let closing: Promise<void> | undefined;

  const invalid = preload.filter((name) => !PYTHON_MODULE_NAME.test(name));
  const live = () => sandboxes.size;
  const inState = (state: WarmSandbox['state']) => [...sandboxes].filter((sandbox) => sandbox.state === state);
  const closedError = () => unavailable('the sandbox pool is closed');

  /** Starts a sandbox and waits for its zygote's "ready"; SANDBOX_UNAVAILABLE when it cannot. */
  async function start(tmpBytes: number): Promise<WarmSandbox> {
    if (invalid.length) throw unavailable(`invalid module names to preload: ${invalid.join(', ')}`);
    const sandbox = await spawnWarmSandbox(host, preload, { ...defaultLimits, tmpBytes }, (spawned) => {
      sandboxes.add(spawned);
      counts.started += 1;
      // one that dies while idle is replaced before a call finds it
      void spawned.exited.then(() => {
        if (spawned.state === 'idle') void retire(spawned);
      });
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
      sandboxes.delete(sandbox);
      counts.retired += 1;
      await stopWarmSandbox(sandbox);
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
    const waiter = waiters.take();
    if (waiter) {
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
    if (live() >= size || (waiters.length() <= starting && live() >= minWarm)) return;
    start(defaultLimits.tmpBytes).then(
      (sandbox) => {
        offer(sandbox);
        replenish();
      },
      (error: unknown) => {
        // nothing left to serve the waiting calls: they fail as the start did
        if (live() === 0) waiters.rejectAll(error);
      },
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
    const onItsWay = comingFree > waiters.length();
    if (!onItsWay && queueTimeoutMs <= 0) throw atCapacity(size, queueTimeoutMs);
    return waiters.wait(
      signal,
      onItsWay ? undefined : { ms: queueTimeoutMs, error: () => atCapacity(size, queueTimeoutMs) },
    );
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

  const callingPool = {
    offer,
    settle,
    retire: (sandbox: WarmSandbox) => retire(sandbox),
    throwIfClosed: () => {
      if (closed) throw closedError();
    },
  };

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
      const wanted = callCgroupLimits(limits, sandbox.ready!.rssBytes);
      try {
        limitCgroup(sandbox, wanted);
      } catch {
        // e.g. memory in use above the new limit: a fresh sandbox in its place
        sandbox = await replace(sandbox, limits.tmpBytes);
        try {
          limitCgroup(sandbox, wanted);
        } catch (error) {
          throw unavailable(`cannot limit the sandbox's cgroup: ${(error as Error).message}`, error);
        }
      }
    } catch (error) {
      void retire(sandbox);
      throw error;
    }
    return runWarmCall<T>(sandbox, request, limits, abortSignal, callingPool);
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
      waiters.rejectAll(closedError());
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
      queued: waiters.length(),
      ...counts,
      preloadFailed,
    };
  }

  return { request, verify, warm, close, stats };
}

export type SandboxPool = ReturnType<typeof createSandboxPool>;
