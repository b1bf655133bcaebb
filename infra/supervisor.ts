/**
 * Keeps the dev stack's processes together: when one dies on its own, or a stop
 * is requested, everything is stopped in reverse start order, so the API and
 * worker go before the servers they depend on.
 */
import type { ChildProcess } from 'node:child_process';
import { describeExit, type ExitStatus } from './child-process';
import type { Log } from './log';

export interface SupervisedProcess {
  name: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export class Supervisor {
  private readonly started: SupervisedProcess[] = [];
  private stopping = false;
  private reportExitCode!: (code: number) => void;
  /** Resolves, with the exit code this program should end with, once everything is stopped. */
  readonly finished = new Promise<number>((resolve) => (this.reportExitCode = resolve));

  constructor(private readonly log: Log) {}

  add(item: SupervisedProcess): void {
    if (this.stopping) {
      // Finished starting after a stop was requested: it must not outlive the rest.
      void item.stop();
      return;
    }
    this.started.push(item);
    const { process: child } = item;
    const onEnd = (status: ExitStatus): void => {
      if (this.stopping) return;
      void this.stopAll(`${item.name} stopped unexpectedly: it ${describeExit(status)}; stopping the rest`, 1);
    };
    if (child.exitCode !== null || child.signalCode !== null) {
      onEnd({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => onEnd({ code, signal }));
    // A command that cannot be started never emits 'exit', only 'error'.
    child.once('error', (spawnError) => onEnd({ code: null, signal: null, spawnError }));
  }

  /** Stops everything, dependents first; later calls (a second signal, a dying child) are ignored. */
  async stopAll(reason: string, exitCode: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log(reason);
    for (const item of [...this.started].reverse()) {
      this.log(`stopping ${item.name}`);
      try {
        await item.stop();
      } catch (error) {
        this.log(`stopping ${item.name} failed: ${String(error)}`);
        exitCode = exitCode || 1;
      }
    }
    this.log('everything stopped');
    this.reportExitCode(exitCode);
  }
}
