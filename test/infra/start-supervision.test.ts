import assert from 'node:assert/strict';
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
