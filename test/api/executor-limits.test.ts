import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { assertErrorResponse } from '../helpers/assertions';
import { molecularWeightScript } from '../../dev/canned-tools';
import { postJson } from '../../dev/http';
import { napTool, registerHandMadeTool } from '../../dev/registered-tools';
import { startTestStack, type TestStack } from '../../dev/stack';

describe('the executor at its limits, over HTTP', function () {
  this.timeout(180_000);

  describe('one sandbox, no queue, a 3 s wall time', () => {
    let stack: TestStack;
    let napId: string;
    const execute = (seconds: number) => postJson(`${stack.apiUrl}/tools/${napId}/execute`, { input: { seconds } });

    before(async () => {
      stack = await startTestStack({
        script: molecularWeightScript(),
        env: { EXECUTOR_POOL_SIZE: '1', EXECUTOR_QUEUE_TIMEOUT_MS: '0', EXECUTOR_WALL_TIME_MS: '3000' },
      });
      napId = (await registerHandMadeTool(stack, napTool))._id.toHexString();
    });
    after(async () => stack?.stop());

    it('answers a call above capacity with 503 SERVICE_UNAVAILABLE and Retry-After, then serves it later', async () => {
      const first = await execute(0); // the sandbox is up and warm
      assert.equal(first.body.success, true, JSON.stringify(first.body));
      const busy = execute(1.5);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const refused = await execute(0);
      assertErrorResponse(refused, 503, 'SERVICE_UNAVAILABLE');
      assert.match(refused.body.error, /at capacity/);
      assert.ok(Number(refused.headers.get('retry-after')) >= 1, `Retry-After: ${refused.headers.get('retry-after')}`);
      assert.deepEqual((await busy).body.output, { slept: 1.5 });
      assert.deepEqual((await execute(0)).body.output, { slept: 0 });
    });

    it('stops a call at the per-call wall time: success false naming the limit, and the next call works', async () => {
      const stopped = await execute(30);
      assert.equal(stopped.status, 200);
      assert.equal(stopped.body.success, false);
      assert.match(stopped.body.error, /wall-time limit of 3000 ms/);
      assert.ok(stopped.body.executionTimeMs < 10_000, `stopped after ${stopped.body.executionTimeMs} ms`);
      assert.equal((await execute(0)).body.success, true);
    });
  });

  describe('a sandbox that cannot start', () => {
    let stack: TestStack;
    before(async () => {
      stack = await startTestStack({ script: molecularWeightScript(), env: { BWRAP_PATH: '/nonexistent/bwrap' } });
    });
    after(async () => stack?.stop());

    it('fails closed: 503 saying why, and the tool never runs', async () => {
      const marker = {
        name: 'leave_a_mark',
        code: 'def leave_a_mark() -> dict:\n    open("/tmp/toolsmith-ran-outside-the-sandbox", "w").write("ran")\n    return {}\n',
      };
      const tool = await registerHandMadeTool(stack, marker);
      const answer = await postJson(`${stack.apiUrl}/tools/${tool._id.toHexString()}/execute`, { input: {} });
      assertErrorResponse(answer, 503, 'SERVICE_UNAVAILABLE');
      assert.match(answer.body.error, /bubblewrap was not found/);
      assert.equal(existsSync('/tmp/toolsmith-ran-outside-the-sandbox'), false);
    });
  });
});
