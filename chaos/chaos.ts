/**
 * Breaks the real embedded stack under load and checks nothing was lost: `npm start` runs with a
 * scripted model that answers with latency; before each kill a few jobs of several tools are
 * submitted, so work is in flight at every kill; then one process is SIGKILLed at a random moment
 * (the worker, the Temporal dev server, FerretDB — each restarted by `npm start`'s supervisor on
 * the same data — or, once, every process of `npm start` at once, as a power cut, after which it is
 * started again on the same data dir). Each kill's recovery is timed; at the end every job and tool
 * is checked (chaos/checks.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { MongoClient } from 'mongodb';
import { endedJobStatuses } from '../contract';
import { loadConfig } from '../config';
import { catalogueScript, standardCatalogue } from '../dev/canned-tools';
import { startScriptedModel } from '../dev/scripted-model';
import { IsolatedStart, type StartRun } from '../dev/start-run';
import { checkOutcome, type ChaosOutcome, type SubmittedJob } from './checks';

export const KILLED_COMPONENTS = ['worker', 'Temporal dev server', 'FerretDB'] as const;
export type KilledComponent = (typeof KILLED_COMPONENTS)[number];
export const POWER_CUT = 'npm start (power cut)';
export type Kill = KilledComponent | typeof POWER_CUT;

export interface ChaosOptions {
  /** SIGKILLs of each of the worker, the Temporal dev server and FerretDB */
  killsPerComponent: number;
  /** SIGKILLs of every process of `npm start` at once, each followed by a new `npm start` */
  powerCuts: number;
  jobsPerKill: number;
  toolsPerJob: number;
  modelLatencyMs: number;
  /** the random pause between submitting a kill's jobs and the kill, so kills land in different stages */
  maxPauseBeforeKillMs: number;
  log: (line: string) => void;
}

export interface ChaosReport extends ChaosOutcome {
  /** per kind of kill, how long each took to recover (ms) */
  recoveries: Record<Kill, number[]>;
  wallMs: number;
}

/** Patient, as a client with work to deliver would be: the API may be down for a while. */
const SUBMIT_DEADLINE_MS = 180_000;
const RECOVERY_DEADLINE_MS = 180_000;
const JOBS_END_DEADLINE_MS = 600_000;
const POLL_MS = 100;
/** a recovery slower than this is explained in the log with what `npm start` printed meanwhile */
const SLOW_RECOVERY_MS = 15_000;

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = Math.floor(Math.random() * (index + 1));
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

/** The kills in a random order, power cuts anywhere but first (something must be running to cut). */
export function killSchedule(options: Pick<ChaosOptions, 'killsPerComponent' | 'powerCuts'>): Kill[] {
  const kills = shuffled(
    KILLED_COMPONENTS.flatMap((component) => Array<Kill>(options.killsPerComponent).fill(component)),
  );
  for (let cut = 0; cut < options.powerCuts; cut += 1) {
    kills.splice(1 + Math.floor(Math.random() * kills.length), 0, POWER_CUT);
  }
  return kills;
}

function requirementsOf(jobNumber: number, toolsPerJob: number) {
  return Array.from({ length: toolsPerJob }, (_, tool) => ({
    description: `Calculate the molecular weight of a compound from SMILES (chaos job ${jobNumber}, tool ${tool + 1}).`,
    input: 'smiles: a SMILES string',
    output: 'molecular_weight: float',
  }));
}

class ChaosStack {
  private runNumber = 0;
  run!: StartRun;
  apiKey = '';

  constructor(
    readonly start: IsolatedStart,
    private readonly log: (line: string) => void,
  ) {}

  get apiUrl(): string {
    return `http://127.0.0.1:${this.start.ports.PORT}/api/v1`;
  }

  async boot(): Promise<void> {
    this.runNumber += 1;
    this.log(`starting npm start (${this.runNumber === 1 ? 'first time' : `again, run ${this.runNumber}`})`);
    this.run = await this.start.start();
    this.apiKey = (await readFile(path.join(this.start.dataDir, 'dev-api-key'), 'utf8')).trim();
  }

  /** A job, sent until the API accepts it; the Idempotency-Key makes a resent request the same job. */
  async submit(jobNumber: number, toolsPerJob: number): Promise<SubmittedJob> {
    const requirements = requirementsOf(jobNumber, toolsPerJob);
    const deadline = Date.now() + SUBMIT_DEADLINE_MS;
    let lastProblem = '';
    while (Date.now() < deadline) {
      try {
        const response = await fetch(`${this.apiUrl}/jobs`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${this.apiKey}`,
            'content-type': 'application/json',
            'idempotency-key': `chaos-job-${jobNumber}`,
          },
          body: JSON.stringify({ toolRequirements: requirements, options: { reuse: false } }),
        });
        const body = (await response.json()) as { jobId?: string; message?: string };
        if ((response.status === 201 || response.status === 200) && body.jobId) {
          return { jobId: body.jobId, requirements };
        }
        lastProblem = `${response.status} ${body.message ?? ''}`;
      } catch (error) {
        lastProblem = String(error);
      }
      await sleep(POLL_MS * 2);
    }
    throw new Error(`job ${jobNumber} was not accepted within ${SUBMIT_DEADLINE_MS / 1000} s: ${lastProblem}`);
  }

  async jobStatus(jobId: string): Promise<string | null> {
    try {
      const response = await fetch(`${this.apiUrl}/jobs/${jobId}`, {
        headers: { authorization: `Bearer ${this.apiKey}` },
      });
      if (response.status !== 200) return null;
      return ((await response.json()) as { status: string }).status;
    } catch {
      return null;
    }
  }

  /** The newest process the supervisor started for `component`. */
  currentPid(component: KilledComponent): number {
    const pid = this.run.pidsOf(component).at(-1);
    if (!pid) throw new Error(`npm start reported no ${component}:\n${this.run.lastOutput()}`);
    return pid;
  }
}

interface Poller {
  identity: string;
  lastAccessMs: number;
}

async function pollers(client: Client, taskQueue: string): Promise<Poller[]> {
  try {
    const described = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (described.pollers ?? []).map((poller) => ({
      identity: poller.identity ?? '',
      lastAccessMs: tsToMs(poller.lastAccessTime),
    }));
  } catch {
    return [];
  }
}

/**
 * Serving again: the API healthy (Temporal and MongoDB reachable from it) and, where the kill
 * broke the worker's polls, a worker polling again. After a kill of the worker (or of everything)
 * that must be a new worker: the dying one's last polls can still be on record. A restarted
 * server knows only the polls that reached it since. MongoDB is not on the polls' path.
 */
async function untilRecovered(
  stack: ChaosStack,
  temporalClient: Client,
  taskQueue: string,
  kill: { kind: Kill; at: number; pollersBefore: Set<string> },
): Promise<void> {
  const deadline = Date.now() + RECOVERY_DEADLINE_MS;
  const workerReplaced = kill.kind === 'worker' || kill.kind === POWER_CUT;
  const polling = async (): Promise<boolean> => {
    if (kill.kind === 'FerretDB') return true;
    const current = await pollers(temporalClient, taskQueue);
    return workerReplaced
      ? current.some((poller) => !kill.pollersBefore.has(poller.identity))
      : current.some((poller) => poller.lastAccessMs > kill.at);
  };
  while (Date.now() < deadline) {
    const health = await stack.start.apiHealth();
    if (health.status === 'healthy' && (await polling())) return;
    await sleep(POLL_MS);
  }
  throw new Error(`the stack did not recover within ${RECOVERY_DEADLINE_MS / 1000} s:\n${stack.run.lastOutput()}`);
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = performance.now();
  const { log } = options;
  const model = await startScriptedModel(catalogueScript(standardCatalogue, { delayMs: options.modelLatencyMs }));
  const start = await IsolatedStart.create({
    OPENAI_BASE_URL: model.baseUrl,
    OPENAI_API_KEY: 'scripted-model',
    // Every kill is deliberate: the supervisor must not give up on a component killed again and
    // again, and each kill counts as a first crash (restarted after 1 s), so the recovery measured
    // is the stack's, not the pause that grows with crashes in a minute (1, 2, 4, 8, 15 s).
    RESTART_MAX_CRASHES: '1000000',
    RESTART_WINDOW_MS: '1',
    // the jobs pile up while a server is down: no limit of the client's may refuse them
    MAX_RUNNING_JOBS_PER_CLIENT: '100000',
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  Object.assign(start.env, { TOOLS_DIR: path.join(start.dataDir, 'tools') });
  // Stopped from outside (Ctrl-C, a CI timeout): the stack it started must not outlive it.
  const stopOnSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the stack`);
    void start.dispose().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', stopOnSignal).once('SIGTERM', stopOnSignal);
  const config = loadConfig(start.env);
  const stack = new ChaosStack(start, log);
  let connection: Connection | undefined;
  try {
    await stack.boot();
    // Reconnects by itself after each restart of the dev server.
    connection = await Connection.connect({ address: `127.0.0.1:${start.ports.TEMPORAL_DEV_PORT}` });
    const temporalClient = new Client({ connection, namespace: config.temporal.namespace });
    const recoveries: Record<Kill, number[]> = {
      worker: [],
      'Temporal dev server': [],
      FerretDB: [],
      [POWER_CUT]: [],
    };
    const jobs: SubmittedJob[] = [];
    const { taskQueue } = config.temporal;
    const schedule = killSchedule(options);
    for (const [index, kill] of schedule.entries()) {
      for (let job = 0; job < options.jobsPerKill; job += 1) {
        jobs.push(await stack.submit(jobs.length + 1, options.toolsPerJob));
      }
      await sleep(Math.random() * options.maxPauseBeforeKillMs);
      const pollersBefore = new Set((await pollers(temporalClient, taskQueue)).map((poller) => poller.identity));
      const killedAt = Date.now();
      if (kill === POWER_CUT) {
        await start.killEverything();
        await stack.boot();
      } else {
        // Its process group: the program and all it runs (tsx's inner node, sandboxes) die at once.
        process.kill(-stack.currentPid(kill), 'SIGKILL');
      }
      const outputBefore = stack.run.output.length;
      await untilRecovered(stack, temporalClient, taskQueue, { kind: kill, at: killedAt, pollersBefore });
      const recoveryMs = Date.now() - killedAt;
      recoveries[kill].push(recoveryMs);
      log(`kill ${index + 1}/${schedule.length}: ${kill}, recovered in ${recoveryMs} ms`);
      if (recoveryMs > SLOW_RECOVERY_MS) {
        log(`slow; what npm start said meanwhile:\n${stack.run.output.slice(outputBefore).slice(-20).join('\n')}`);
      }
    }

    log(`all kills done; waiting for the ${jobs.length} jobs to end`);
    const deadline = Date.now() + JOBS_END_DEADLINE_MS;
    const ended = new Set<string>(endedJobStatuses);
    for (const job of jobs) {
      while (Date.now() < deadline && !ended.has((await stack.jobStatus(job.jobId)) ?? '')) {
        await sleep(POLL_MS * 2);
      }
    }

    const mongo = await MongoClient.connect(`mongodb://127.0.0.1:${start.ports.EMBEDDED_MONGODB_PORT}/`);
    try {
      const outcome = await checkOutcome({
        jobs,
        db: mongo.db(config.mongo.dbName),
        temporal: temporalClient,
        toolsDir: config.toolsDir,
      });
      return { ...outcome, recoveries, wallMs: performance.now() - started };
    } finally {
      await mongo.close();
    }
  } finally {
    process.off('SIGINT', stopOnSignal).off('SIGTERM', stopOnSignal);
    stack.run?.process.kill('SIGTERM');
    await Promise.race([stack.run?.exited, sleep(15_000)]);
    await connection?.close().catch(() => undefined);
    await start.dispose();
    await model.close();
  }
}
