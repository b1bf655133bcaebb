import assert from 'node:assert/strict';
import { replayJob } from '../replay/replay';
import { catalogueScript, standardCatalogue } from '../dev/canned-tools';
import { runJob } from '../dev/jobs';
import { startTestStack, type TestStack } from '../dev/stack';

/** The saved histories replay in the unit tier (test/unit/replay/saved-histories.test.ts); this is the command. */
const CHANGED_WORKFLOWS_PATH = require.resolve('./fixtures/changed-workflow');

describe('`npm run replay` against a live server', function () {
  this.timeout(180_000);
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ script: catalogueScript(standardCatalogue) });
  });
  after(async () => stack?.stop());

  it('replays a finished job plainly, and reports a determinism error plainly', async () => {
    const job = await runJob(stack, ['Calculate the molecular weight of a compound from SMILES.']);
    const current = await replayJob(stack.env.client, job.jobId);
    assert.deepEqual(current, [{ workflowId: job.jobId, runId: job.temporal.runId, error: null }]);
    const changed = await replayJob(stack.env.client, job.jobId, CHANGED_WORKFLOWS_PATH);
    assert.equal(changed.length, 1);
    assert.match(changed[0]!.error ?? '', /^DeterminismViolationError: /);
  });
});
