import assert from 'node:assert/strict';
import { spawnService } from '../../../infra/child-process';
import { Supervisor } from '../../../infra/supervisor';

/** `npm start`'s supervisor on children of its own (node -e), no server among them. */
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
