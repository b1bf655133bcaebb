/**
 * Long-running child processes (servers, the worker, the API): spawn with output
 * forwarded, wait until a TCP port accepts connections, stop politely then firmly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { behindParentDeathWatchdog } from './parent-death';
import { SetupError } from './setup-error';

export type OutputStream = 'stdout' | 'stderr';
export type OutputHandler = (line: string, stream: OutputStream) => void;

/** Forwards each line to the same stream of this process, prefixed so interleaved services stay readable. */
export function prefixedOutput(prefix: string): OutputHandler {
  return (line, stream) => process[stream].write(`${prefix} ${line}\n`);
}

/** Calls `onLine` for every line the stream produces (the last one even without a newline). */
export function forEachLine(stream: Readable, onLine: (line: string) => void): void {
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
}

/** The last lines of a process's output, so a failure message can show why it failed. */
export class OutputTail {
  private readonly lines: string[] = [];

  constructor(private readonly maxLines = 40) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.maxLines) this.lines.shift();
  }

  toString(): string {
    return this.lines.join('\n');
  }
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  spawnError?: Error;
}

export function describeExit(status: ExitStatus): string {
  if (status.spawnError) return `could not be started (${status.spawnError.message})`;
  if (status.signal) return `was killed by ${status.signal}`;
  return `exited with code ${status.code}`;
}

export interface ServiceSpec {
  /** Shown in output prefixes and error messages, e.g. "FerretDB". */
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where output lines go; defaults to this process's stdout/stderr prefixed with `[name]`. */
  output?: OutputHandler;
  /**
   * Run the child in its own process group, so a terminal's Ctrl-C reaches only
   * this process, which then stops its children in dependency order (the dev stack
   * does). Off by default: then a Ctrl-C stops the child together with its parent.
   * Such a child no longer dies with its parent's group, so it runs behind a watchdog
   * that kills its group when this process dies (see parent-death.ts).
   */
  ownProcessGroup?: boolean;
  /**
   * Stop forwarding output once stop() is called (the tail still keeps it), for
   * servers whose orderly shutdown logs alarming-looking warnings (Temporal does).
   */
  muteWhileStopping?: boolean;
}

export interface RunningService {
  readonly name: string;
  /** The spawned process itself (not a shell), so callers can signal it directly. */
  readonly process: ChildProcess;
  /** Resolves once the process has exited and its output is drained; never rejects. */
  readonly exited: Promise<ExitStatus>;
  /** The last lines it printed, for error messages. */
  outputTail(): string;
  stop(graceMs?: number): Promise<void>;
}

const DEFAULT_STOP_GRACE_MS = 10_000;

/** Children still running; killed when this process exits so no server outlives its owner. */
const liveChildren = new Set<ChildProcess>();
/** Children spawned as process group leaders, whose whole group can be signalled. */
const groupLeaders = new WeakSet<ChildProcess>();
let exitHookInstalled = false;

function killLeftoversOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' listeners must be synchronous; a SIGKILL is all that fits.
  process.on('exit', () => {
    for (const child of liveChildren) signalChild(child, 'SIGKILL');
  });
}

/** Spawns a long-running process, forwarding its output and remembering its last lines. */
export function spawnService(spec: ServiceSpec): RunningService {
  const output = spec.output ?? prefixedOutput(`[${spec.name}]`);
  const tail = new OutputTail();
  const ownProcessGroup = spec.ownProcessGroup ?? false;
  const [command, args] = ownProcessGroup
    ? behindParentDeathWatchdog(spec.command, spec.args)
    : [spec.command, spec.args];
  const child = spawn(command, args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    // stdin is the watchdog's pipe: never written, it ends when this process does
    stdio: [ownProcessGroup ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: ownProcessGroup,
  });
  killLeftoversOnExit();
  liveChildren.add(child);
  if (ownProcessGroup) {
    groupLeaders.add(child);
    child.stdin?.on('error', () => {}); // EPIPE from a watchdog already gone changes nothing
    child.once('exit', () => {
      // What the child left behind must not keep its ports from a restart.
      killGroup(child);
      child.stdin?.destroy();
    });
  }

  let stopRequested = false;
  for (const stream of ['stdout', 'stderr'] as const) {
    forEachLine(child[stream]!, (line) => {
      tail.push(line);
      if (!(stopRequested && spec.muteWhileStopping)) output(line, stream);
    });
  }

  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const exited = new Promise<ExitStatus>((resolve) => {
    // 'close' rather than 'exit': it also fires when spawning fails, and only after
    // the output is fully read, so the tail in an error message is complete.
    child.once('close', (code, signal) => {
      liveChildren.delete(child);
      resolve({ code, signal, spawnError });
    });
  });

  return {
    name: spec.name,
    process: child,
    exited,
    outputTail: () => tail.toString(),
    stop: (graceMs = DEFAULT_STOP_GRACE_MS) => {
      stopRequested = true;
      return stopChild(child, graceMs);
    },
  };
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
}

/**
 * SIGKILL goes to the whole process group when the child leads one, so
 * grandchildren (tsx runs node as a child) cannot linger. SIGTERM goes to the
 * child alone: it is the one that knows how to shut its own children down.
 */
function signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (hasExited(child)) return;
  if (signal === 'SIGKILL' && killGroup(child)) return;
  child.kill(signal);
}

/** SIGKILLs the process group the child leads; false when it leads none, or the group is gone. */
function killGroup(child: ChildProcess): boolean {
  if (!groupLeaders.has(child) || child.pid === undefined) return false;
  try {
    // The group id outlives its leader while any member lives, and is not reused until then.
    process.kill(-child.pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (hasExited(child)) return;
  signalChild(child, 'SIGTERM');
  if (await waitForExit(child, graceMs)) return;
  signalChild(child, 'SIGKILL');
  await waitForExit(child, 5_000);
}

function canConnect(host: string, port: number, attemptTimeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (connected: boolean): void => {
      socket.destroy();
      resolve(connected);
    };
    socket.setTimeout(attemptTimeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** Polls until `host:port` accepts a TCP connection; rejects after `timeoutMs` or when `signal` aborts. */
export async function waitForPort(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    if (await canConnect(host, port, 1_000)) return;
    if (Date.now() >= deadline) {
      throw new SetupError(`nothing accepted connections on ${host}:${port} within ${Math.round(timeoutMs / 1000)} s`);
    }
    await sleep(100, undefined, { signal });
  }
}

function listenOnce(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const boundPort = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(boundPort));
    });
  });
}

/** A port nothing is listening on right now (the OS picks it). */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return listenOnce(host, 0);
}

export async function isPortFree(host: string, port: number): Promise<boolean> {
  try {
    await listenOnce(host, port);
    return true;
  } catch {
    return false;
  }
}

/**
 * Fails when something already listens on the port. Needed before waiting for a
 * port: otherwise the wait would succeed against the other process while ours dies.
 */
export async function requirePortFree(host: string, port: number, owner: string, hint?: string): Promise<void> {
  if (await isPortFree(host, port)) return;
  const advice = hint ? `: ${hint}` : '';
  throw new SetupError(`${owner} needs ${host}:${port}, but something is already listening there${advice}`);
}

export interface PortServiceSpec extends ServiceSpec {
  /** Where the service will listen; readiness means this accepts connections. */
  host: string;
  port: number;
  readyTimeoutMs?: number;
}

/**
 * Spawns a server and resolves once its port accepts connections. Rejects, with
 * the tail of the server's output, if it exits first or is not ready in time.
 */
export async function startServiceOnPort(spec: PortServiceSpec): Promise<RunningService> {
  const { name, host, port, readyTimeoutMs = 60_000 } = spec;
  await requirePortFree(host, port, name);
  const service = spawnService(spec);
  const lastOutput = (): string => `Its last output:\n${service.outputTail()}`;
  const stopWaiting = new AbortController();

  const died = service.exited.then((status) =>
    Promise.reject(
      new SetupError(`${name} ${describeExit(status)} before listening on ${host}:${port}. ${lastOutput()}`),
    ),
  );
  const listening = waitForPort(host, port, readyTimeoutMs, stopWaiting.signal).catch((error: unknown) =>
    Promise.reject(
      stopWaiting.signal.aborted
        ? error
        : new SetupError(
            `${name} was not listening on ${host}:${port} after ${readyTimeoutMs / 1000} s. ${lastOutput()}`,
          ),
    ),
  );
  // Whichever loses the race rejects later, unobserved; that is expected, not an error.
  died.catch(() => {});
  listening.catch(() => {});

  try {
    await Promise.race([listening, died]);
    return service;
  } catch (error) {
    await service.stop();
    throw error;
  } finally {
    stopWaiting.abort();
  }
}
