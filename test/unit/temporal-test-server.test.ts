import assert from 'node:assert/strict';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { readProvisionManifest } from '../../infra/provision';
import type { sleepyWorkflow } from './fixtures/sleepy-workflow';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('unit tier: the time-skipping test server from Maven Central', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;

  before(async () => {
    const path = readProvisionManifest()?.temporalTestServerPath;
    assert.ok(path, 'no temporalTestServerPath in the provision manifest: run `npx tsx infra/provision-unit-cli.ts`');
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  });

  after(async () => {
    await env?.teardown();
  });

  it('runs a workflow that sleeps a day in far less real time', async () => {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'sleepy',
      workflowsPath: require.resolve('./fixtures/sleepy-workflow'),
    });
    const serverTimeBefore = await env.currentTimeMs();
    const startedAt = Date.now();
    const slept = await worker.runUntil(
      env.client.workflow.execute<typeof sleepyWorkflow>('sleepyWorkflow', {
        taskQueue: 'sleepy',
        workflowId: `sleepy-${Date.now()}`,
      }),
    );
    const realMs = Date.now() - startedAt;

    assert.ok(realMs < 20_000, `took ${realMs} ms of real time: time was not skipped`);
    assert.ok(slept.after - slept.before >= DAY_MS, `workflow time advanced only ${slept.after - slept.before} ms`);
    assert.ok((await env.currentTimeMs()) - serverTimeBefore >= DAY_MS, 'the server clock did not advance a day');
  });
});
