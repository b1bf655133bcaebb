import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { MongoNetworkError } from 'mongodb';
import { toApplicationFailure } from '../../activities/failures';
import { INFRASTRUCTURE_RETRIES } from '../../workflows/activity-options';
import { INFRASTRUCTURE_RETRIES_PATCH } from '../../workflows/infrastructure-retries';
import { provisionedTools } from '../../dev/stack';

const WORKFLOWS_PATH = require.resolve('../fixtures/infrastructure-retries');
const TASK_QUEUE = 'infrastructure-retries';

type Attempt = 'succeed' | 'fail' | 'lose the database' | 'hang silently' | 'hang heartbeating';

/** Holds an attempt until the test's worker cancels it (after its timeout), as a dead or stuck worker would. */
function hang(heartbeating: boolean): Promise<string> {
  const context = Context.current();
  const timer = heartbeating ? setInterval(() => context.heartbeat(), 200) : undefined;
  return new Promise((_, reject) => {
    context.cancellationSignal.addEventListener('abort', () => {
      clearInterval(timer);
      reject(context.cancellationSignal.reason);
    });
  });
}

describe('workflow: attempts lost to the infrastructure have a budget of their own', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let script: Attempt[] = [];
  let calls = 0;

  before(async () => {
    const tools = await provisionedTools();
    env = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: tools.temporalCliPath! }, ip: '127.0.0.1' },
    });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowsPath: WORKFLOWS_PATH,
      activities: {
        async flaky(): Promise<string> {
          const attempt = script[Math.min(calls, script.length - 1)]!;
          calls += 1;
          if (attempt === 'succeed') return `answered on call ${calls}`;
          if (attempt === 'fail') throw ApplicationFailure.create({ type: 'MODEL_DOWN', message: 'the model is down' });
          if (attempt === 'lose the database') throw toApplicationFailure(new MongoNetworkError('connection 1 closed'));
          return hang(attempt === 'hang heartbeating');
        },
      },
    });
    running = worker.run();
  });

  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  async function run(attempts: Attempt[]) {
    script = attempts;
    calls = 0;
    const handle = await env.client.workflow.start('callsFlakyActivity', {
      taskQueue: TASK_QUEUE,
      workflowId: `infrastructure-retries-${Date.now()}-${Math.random()}`,
    });
    const result = await handle.result().catch((error: unknown) => error);
    const history = await handle.fetchHistory();
    const patches = (history.events ?? []).filter((event) => event.markerRecordedEventAttributes);
    return { result, patches: patches.length };
  }

  function causeOf(error: unknown): unknown {
    assert.ok(error instanceof WorkflowFailedError, String(error));
    assert.ok(error.cause instanceof ActivityFailure, String(error.cause));
    return error.cause.cause;
  }

  it('runs the activity again after a heartbeat timeout, and marks the run as patched', async () => {
    const { result, patches } = await run(['hang silently', 'hang silently', 'succeed']);
    assert.equal(result, 'answered on call 3');
    assert.equal(patches, 1, `the ${INFRASTRUCTURE_RETRIES_PATCH} marker`);
  });

  it('runs the activity again when its database connection broke', async () => {
    const { result } = await run(['lose the database', 'lose the database', 'succeed']);
    assert.equal(result, 'answered on call 3');
  });

  it('leaves the activity’s own failure to its retry policy: one call, no rerun', async () => {
    const { result } = await run(['fail', 'succeed']);
    const cause = causeOf(result);
    assert.ok(cause instanceof ApplicationFailure && cause.type === 'MODEL_DOWN', String(cause));
    assert.equal(calls, 1);
  });

  it('does not rerun work that hung while heartbeating (a start-to-close timeout)', async () => {
    const { result } = await run(['hang heartbeating', 'succeed']);
    const cause = causeOf(result);
    assert.ok(cause instanceof TimeoutFailure && cause.timeoutType === 'START_TO_CLOSE', String(cause));
    assert.equal(calls, 1);
  });

  it(`gives up after ${INFRASTRUCTURE_RETRIES} reruns`, async function () {
    this.timeout(120_000);
    const { result } = await run(['hang silently']);
    const cause = causeOf(result);
    assert.ok(cause instanceof TimeoutFailure && cause.timeoutType === 'HEARTBEAT', String(cause));
    assert.equal(calls, 1 + INFRASTRUCTURE_RETRIES);
  });
});
