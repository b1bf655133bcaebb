import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findFreePort, forEachLine, isPortFree, spawnService } from '../../infra/child-process';
import { Supervisor } from '../../infra/supervisor';
import { waitFor } from '../helpers/wait';

const projectRoot = path.resolve(__dirname, '../..');
const PORT_SETTINGS = [
  'PORT',
  'TEMPORAL_DEV_PORT',
  'TEMPORAL_UI_PORT',
  'EMBEDDED_MONGODB_PORT',
  'WORKER_METRICS_PORT',
  'TEMPORAL_METRICS_PORT',
] as const;
const BANNER = 'Toolsmith is running';
const STARTUP_TIMEOUT_MS = 60_000;
/** An orphaned `npm start` notices within 0.5 s and then has 5 s before it kills what is left. */
const ORPHAN_CLEANUP_TIMEOUT_MS = 10_000;

/**
 * One `npm start`, as a person runs it: tsx, which runs the supervisor in a node of its own. In a
 * process group of its own, as a process manager keeps a service, so the group can be killed.
 */
class StartRun {
  readonly process: ChildProcess;
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(env: NodeJS.ProcessEnv) {
    this.process = spawn(path.join(projectRoot, 'node_modules', '.bin', 'tsx'), ['infra/start.ts'], {
      cwd: projectRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    for (const stream of [this.process.stdout!, this.process.stderr!]) {
      forEachLine(stream, (line) => this.output.push(line));
    }
    this.exited = new Promise((resolve) => this.process.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Every pid the supervisor reported for `service`, oldest first. */
  pidsOf(service: string): number[] {
    const reported = new RegExp(`^\\[start\\] ${service} is running \\(pid (\\d+)\\)$`);
    return this.output.flatMap((line) => {
      const match = reported.exec(line);
      return match ? [Number(match[1])] : [];
    });
  }

  lastOutput(): string {
    return this.output.slice(-60).join('\n');
  }

  async waitForBanner(): Promise<void> {
    const exitedEarly = this.exited.then((status) => {
      throw new Error(`npm start ended (${JSON.stringify(status)}) before its banner:\n${this.lastOutput()}`);
    });
    const banner = waitFor(() => this.output.includes(BANNER + ':'), STARTUP_TIMEOUT_MS, 'the banner');
    exitedEarly.catch(() => {});
    await Promise.race([banner, exitedEarly]).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${this.lastOutput()}`);
    });
  }
}

/** Pids of live processes whose environment names this data dir: everything a run started. */
async function processesOfRun(dataDir: string): Promise<number[]> {
  const marker = `TOOLSMITH_DATA_DIR=${dataDir}`;
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = await readFile(`/proc/${entry}/environ`, 'utf8');
      if (environ.split('\0').includes(marker)) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

async function commandLine(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ');
}

async function takenPorts(ports: Record<string, number>): Promise<string[]> {
  const taken: string[] = [];
  for (const [setting, port] of Object.entries(ports)) {
    if (!(await isPortFree('127.0.0.1', port))) taken.push(`${setting}=${port}`);
  }
  return taken;
}

interface Health {
  status?: string;
  database?: string;
}

async function health(apiPort: number): Promise<Health> {
  try {
    const response = await fetch(`http://127.0.0.1:${apiPort}/api/v1/health`);
    return (await response.json()) as Health;
  } catch {
    return {};
  }
}

describe('npm start supervises its processes', function () {
  this.timeout(150_000);
  let dataDir: string;
  let ports: Record<(typeof PORT_SETTINGS)[number], number>;
  let env: NodeJS.ProcessEnv;
  const runs: StartRun[] = [];

  const startRun = async (): Promise<StartRun> => {
    const run = new StartRun(env);
    runs.push(run);
    await run.waitForBanner();
    return run;
  };

  const assertNothingLeft = async (what: string): Promise<void> => {
    await waitFor(
      async () => {
        const pids = await processesOfRun(dataDir);
        return pids.length === 0 && (await takenPorts(ports)).length === 0;
      },
      ORPHAN_CLEANUP_TIMEOUT_MS,
      `no process or port left ${what}`,
    ).catch(async (error: unknown) => {
      const pids = await processesOfRun(dataDir);
      const lines = await Promise.all(pids.map(async (pid) => `${pid}: ${await commandLine(pid)}`));
      throw new Error(`${String(error)}\nleft: ${lines.join('\n')}\nports taken: ${await takenPorts(ports)}`);
    });
  };

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'toolsmith-start-'));
    const chosen = await Promise.all(PORT_SETTINGS.map(async (setting) => [setting, await findFreePort()] as const));
    ports = Object.fromEntries(chosen) as typeof ports;
    env = { ...process.env };
    // The embedded servers are the subject: nothing may point the run elsewhere.
    for (const setting of ['TEMPORAL_ADDRESS', 'MONGODB_URL', 'TEMPORAL_UI_URL']) delete env[setting];
    Object.assign(env, {
      TOOLSMITH_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      LOG_PRETTY: '0',
      ...Object.fromEntries(chosen.map(([setting, port]) => [setting, String(port)])),
    });
  });

  after(async () => {
    // Only what these runs started, found by their data dir, should anything have survived a failure.
    for (const run of runs) run.process.kill('SIGKILL');
    for (const pid of await processesOfRun(dataDir)) process.kill(pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('restarts a SIGKILLed worker and FerretDB, then leaves nothing behind when it is SIGKILLed itself', async () => {
    const run = await startRun();
    const [firstWorker] = run.pidsOf('worker');
    const [firstFerretDb] = run.pidsOf('FerretDB');
    assert.ok(firstWorker && firstFerretDb, `pids reported:\n${run.lastOutput()}`);
    assert.match(await commandLine(firstWorker), /worker\/main\.ts/);
    assert.match(await commandLine(firstFerretDb), /ferretdb/);
    const running = await processesOfRun(dataDir);
    assert.ok(running.includes(firstWorker) && running.includes(firstFerretDb), 'the run is found by its data dir');

    process.kill(firstWorker, 'SIGKILL');
    process.kill(firstFerretDb, 'SIGKILL');
    await waitFor(() => run.pidsOf('worker').length === 2, 20_000, 'a new worker').catch((error: unknown) => {
      throw new Error(`${String(error)}\n${run.lastOutput()}`);
    });
    await waitFor(() => run.pidsOf('FerretDB').length === 2, 20_000, 'a new FerretDB');
    const newWorker = run.pidsOf('worker')[1]!;
    assert.notEqual(newWorker, firstWorker);
    assert.match(await commandLine(newWorker), /worker\/main\.ts/, 'the new worker runs');
    await waitFor(
      async () => (await health(ports.PORT)).database === 'connected',
      30_000,
      'the API to reach the restarted FerretDB',
    );

    run.process.kill('SIGKILL'); // tsx alone: the supervisor it ran notices it is orphaned
    await assertNothingLeft('after npm start was SIGKILLed');
  });

  it('starts again on the same data dir and ports, restarts Temporal and the API, and leaves nothing behind when its whole process group is SIGKILLed', async () => {
    const run = await startRun();
    const [firstTemporal] = run.pidsOf('Temporal dev server');
    const [firstApi] = run.pidsOf('api');
    assert.ok(firstTemporal && firstApi, `pids reported:\n${run.lastOutput()}`);
    process.kill(firstTemporal, 'SIGKILL');
    process.kill(firstApi, 'SIGKILL');
    await waitFor(
      async () => run.pidsOf('api').length === 2 && (await health(ports.PORT)).status === 'healthy',
      30_000,
      'the restarted API to reach the restarted Temporal',
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${run.lastOutput()}`);
    });
    assert.equal(run.pidsOf('Temporal dev server').length, 2);

    // The supervisor dies too, cleaning nothing up: the servers' watchdogs see their pipe end.
    process.kill(-run.process.pid!, 'SIGKILL');
    await assertNothingLeft('after the supervisor was SIGKILLed');
  });

  it('starts again, and exits 0 on SIGTERM leaving nothing behind', async () => {
    const run = await startRun();
    run.process.kill('SIGTERM');
    const status = await run.exited;
    assert.deepEqual(status, { code: 0, signal: null }, run.lastOutput());
    await assertNothingLeft('after a SIGTERM');
  });
});

describe('the supervisor and a child that keeps crashing', () => {
  it('restarts it with growing pauses, then gives up and stops the rest with a message saying why', async () => {
    const lines: string[] = [];
    const policy = { maxCrashes: 3, windowMs: 60_000, firstDelayMs: 100, maxDelayMs: 1_000 };
    const supervisor = new Supervisor((line) => lines.push(line), policy);
    let launches = 0;
    const launchChild = (name: string, script: string) => () => {
      launches += 1;
      const output = (): void => {};
      return Promise.resolve(spawnService({ name, command: process.execPath, args: ['-e', script], output }));
    };
    const steady = await supervisor.start('steady', launchChild('steady', 'setInterval(() => {}, 1000)'));
    launches = 0;
    await supervisor.start('crasher', launchChild('crasher', 'setTimeout(() => process.exit(3), 50)'));

    assert.equal(await supervisor.finished, 1);
    assert.equal(launches, 3, 'started, then restarted twice');
    const restarts = lines.filter((line) => line.startsWith('crasher exited with code 3; restarting it in'));
    assert.deepEqual(restarts, [
      'crasher exited with code 3; restarting it in 0.1 s',
      'crasher exited with code 3; restarting it in 0.2 s',
    ]);
    assert.ok(
      lines.includes(
        'crasher exited with code 3: 3 crashes within 60 s, so it is not restarted again; stopping the rest',
      ),
      lines.join('\n'),
    );
    assert.ok(lines.includes('stopping steady'), 'the rest is stopped');
    assert.equal(steady.process.signalCode, 'SIGTERM');
  });
});
