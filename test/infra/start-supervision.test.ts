import assert from 'node:assert/strict';
import { spawnService } from '../../infra/child-process';
import { Supervisor } from '../../infra/supervisor';
import { commandLine, IsolatedStart } from '../../dev/start-run';
import { waitFor } from '../../dev/wait';

/** An orphaned `npm start` notices within 0.5 s and then has 5 s before it kills what is left. */
const ORPHAN_CLEANUP_TIMEOUT_MS = 10_000;

describe('npm start supervises its processes', function () {
  this.timeout(150_000);
  let start: IsolatedStart;

  const assertNothingLeft = async (what: string): Promise<void> => {
    await waitFor(
      async () => (await start.processes()).length === 0 && (await start.takenPorts()).length === 0,
      ORPHAN_CLEANUP_TIMEOUT_MS,
      `no process or port left ${what}`,
    ).catch(async (error: unknown) => {
      const pids = await start.processes();
      const lines = await Promise.all(pids.map(async (pid) => `${pid}: ${await commandLine(pid)}`));
      throw new Error(`${String(error)}\nleft: ${lines.join('\n')}\nports taken: ${await start.takenPorts()}`);
    });
  };

  before(async () => {
    start = await IsolatedStart.create();
  });

  // Only what these runs started, found by their data dir, should anything have survived a failure.
  after(async () => start?.dispose());

  it('restarts a SIGKILLed worker and FerretDB, then leaves nothing behind when it is SIGKILLed itself', async () => {
    const run = await start.start();
    const [firstWorker] = run.pidsOf('worker');
    const [firstFerretDb] = run.pidsOf('FerretDB');
    assert.ok(firstWorker && firstFerretDb, `pids reported:\n${run.lastOutput()}`);
    assert.match(await commandLine(firstWorker), /worker\/main\.ts/);
    assert.match(await commandLine(firstFerretDb), /ferretdb/);
    const running = await start.processes();
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
      async () => (await start.apiHealth()).database === 'connected',
      30_000,
      'the API to reach the restarted FerretDB',
    );

    run.process.kill('SIGKILL'); // tsx alone: the supervisor it ran notices it is orphaned
    await assertNothingLeft('after npm start was SIGKILLed');
  });

  it('starts again on the same data dir and ports, restarts Temporal and the API, and leaves nothing behind when its whole process group is SIGKILLed', async () => {
    const run = await start.start();
    const [firstTemporal] = run.pidsOf('Temporal dev server');
    const [firstApi] = run.pidsOf('api');
    assert.ok(firstTemporal && firstApi, `pids reported:\n${run.lastOutput()}`);
    process.kill(firstTemporal, 'SIGKILL');
    process.kill(firstApi, 'SIGKILL');
    await waitFor(
      async () => run.pidsOf('api').length === 2 && (await start.apiHealth()).status === 'healthy',
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
    const run = await start.start();
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
