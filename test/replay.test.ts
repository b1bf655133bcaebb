import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { CURRENT_WORKFLOWS_PATH, replayJob } from '../replay/replay';
import { catalogueScript, standardCatalogue } from '../dev/canned-tools';
import { runJob } from '../dev/jobs';
import { startTestStack, type TestStack } from '../dev/stack';

const HISTORIES_DIR = path.join(__dirname, 'histories');
const CHANGED_WORKFLOWS_PATH = require.resolve('./fixtures/changed-workflow');
const savedHistories = readdirSync(HISTORIES_DIR).filter((file) => file.endsWith('.json'));

function loadHistory(file: string) {
  return historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
}

describe('replay: saved histories still run on the current workflow code', function () {
  this.timeout(180_000);

  it('has the representative histories (refresh with `npm run histories:record`)', () => {
    assert.deepEqual(savedHistories.sort(), [
      'cancelled.json',
      'partial-failure.json',
      'repair.json',
      'retry.json',
      'reuse.json',
      'success.json',
      'task-queues.json',
    ]);
  });

  for (const file of savedHistories) {
    it(`replays ${file} without a determinism error`, async () => {
      await Worker.runReplayHistory({ workflowsPath: CURRENT_WORKFLOWS_PATH, replayName: file }, loadHistory(file));
    });
  }

  it('catches a non-deterministic change to the workflow', async () => {
    await assert.rejects(
      Worker.runReplayHistory(
        { workflowsPath: CHANGED_WORKFLOWS_PATH, replayName: 'changed' },
        loadHistory('success.json'),
      ),
      (error: Error) => error.name === 'DeterminismViolationError',
    );
  });

  describe('`npm run replay` against a live server', () => {
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
});
