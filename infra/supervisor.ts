/**
 * Keeps the dev stack's processes running. One that dies on its own is started
 * again the same way (so on the same ports and data files) after a pause that
 * grows with its recent crashes, so a single machine heals itself; one that keeps
 * crashing, or a stop request, stops everything in reverse start order, so the
 * API and worker go before the servers they depend on.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeExit, type ExitStatus } from './child-process';
import type { Log } from './log';
import { describeFailure } from './setup-error';

export interface SupervisedProcess {
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface RestartPolicy {
  /** The crash that makes this many within `windowMs` stops everything instead of another restart. */
  maxCrashes: number;
  windowMs: number;
  /** The pause before a restart doubles with each recent crash, from this up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  maxCrashes: 5,
  windowMs: 60_000,
  firstDelayMs: 1_000,
  maxDelayMs: 15_000,
};

interface Service {
  name: string;
  launch: () => Promise<SupervisedProcess>;
  current?: SupervisedProcess;
  /** Set once it crashed: settles when the restart is done, abandoned, or undone by a stop. */
  restarting?: Promise<void>;
  crashTimes: number[];
}

export class Supervisor {
  private readonly services: Service[] = [];
  private stopping = false;
  private readonly stopRequested = new AbortController();
  private reportExitCode!: (code: number) => void;
  /** Resolves, with the exit code this program should end with, once everything is stopped. */
  readonly finished = new Promise<number>((resolve) => (this.reportExitCode = resolve));

  constructor(
    private readonly log: Log,
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
  ) {}

  /**
   * Launches a service and keeps it running, calling `launch` again after each crash.
   * Resolves with the first launch's result; a first launch that fails rejects instead.
   */
  async start<T extends SupervisedProcess>(name: string, launch: () => Promise<T>): Promise<T> {
    const running = await launch();
    const service: Service = { name, launch, crashTimes: [] };
    this.services.push(service);
    this.watch(service, running);
    return running;
  }

  private watch(service: Service, running: SupervisedProcess): void {
    if (this.stopping) {
      // Finished starting after a stop was requested: it must not outlive the rest.
      void running.stop();
      return;
    }
    service.current = running;
    const { process: child } = running;
    this.log(`${service.name} is running (pid ${child.pid})`);
    let ended = false;
    const onEnd = (status: ExitStatus): void => {
      if (ended || this.stopping) return;
      ended = true;
      service.current = undefined;
      service.restarting = this.restart(service, `${service.name} ${describeExit(status)}`);
    };
    if (child.exitCode !== null || child.signalCode !== null) {
      onEnd({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => onEnd({ code, signal }));
    // A command that cannot be started never emits 'exit', only 'error'.
    child.once('error', (spawnError) => onEnd({ code: null, signal: null, spawnError }));
  }

  private async restart(service: Service, failure: string): Promise<void> {
    const { maxCrashes, windowMs, firstDelayMs, maxDelayMs } = this.policy;
    for (;;) {
      const now = Date.now();
      service.crashTimes = [...service.crashTimes.filter((at) => now - at < windowMs), now];
      const crashes = service.crashTimes.length;
      if (crashes >= maxCrashes) {
        const giveUp = `${failure}: ${crashes} crashes within ${windowMs / 1000} s, so it is not restarted again; stopping the rest`;
        void this.stopAll(giveUp, 1);
        return;
      }
      const delayMs = Math.min(firstDelayMs * 2 ** (crashes - 1), maxDelayMs);
      this.log(`${failure}; restarting it in ${delayMs / 1000} s`);
      if (!(await this.pauseUnlessStopped(delayMs))) return;
      try {
        const running = await service.launch();
        if (this.stopping) {
          await running.stop();
          return;
        }
        this.watch(service, running);
        return;
      } catch (error) {
        if (this.stopping) return;
        failure = `${service.name} could not be restarted: ${describeFailure(error)}`;
      }
    }
  }

  /** False when a stop was requested meanwhile. */
  private pauseUnlessStopped(ms: number): Promise<boolean> {
    return sleep(ms, undefined, { signal: this.stopRequested.signal }).then(
      () => true,
      () => false,
    );
  }

  /** Stops everything, dependents first; later calls (a second signal, a dying child) are ignored. */
  async stopAll(reason: string, exitCode: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopRequested.abort();
    this.log(reason);
    for (const service of [...this.services].reverse()) {
      // A restart under way ends first, stopping what it started, so nothing is left behind.
      await service.restarting;
      if (!service.current) continue;
      this.log(`stopping ${service.name}`);
      try {
        await service.current.stop();
      } catch (error) {
        this.log(`stopping ${service.name} failed: ${String(error)}`);
        exitCode = exitCode || 1;
      }
    }
    this.log('everything stopped');
    this.reportExitCode(exitCode);
  }
}
