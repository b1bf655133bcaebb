import assert from 'node:assert/strict';
import { Context } from '@temporalio/activity';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { MongoNetworkError } from 'mongodb';
import { toApplicationFailure } from '../../../activities/failures';
import { readProvisionManifest } from '../../../infra/provision';
import { INFRASTRUCTURE_RETRIES } from '../../../workflows/activity-options';
import { INFRASTRUCTURE_RETRIES_PATCH } from '../../../workflows/patches';
import { holdUntilCancelled } from './held-attempt';

const WORKFLOWS_PATH = require.resolve('../../fixtures/infrastructure-retries');
const TASK_QUEUE = 'infrastructure-retries';

type Attempt = 'succeed' | 'fail' | 'lose the database' | 'hang silently' | 'hang heartbeating';

/** Each case's attempts, in order (the last one repeats). The cases run at once. */
const CASES = {
  heartbeatLost: ['hang silently', 'hang silently', 'succeed'],
  databaseLost: ['lose the database', 'lose the database', 'succeed'],
  ownFailure: ['fail', 'succeed'],
  hungHeartbeating: ['hang heartbeating', 'succeed'],
  alwaysLost: ['hang silently'],
} satisfies Record<string, Attempt[]>;
type Case = keyof typeof CASES;

interface Outcome {
  result: unknown;
  /** the run's markers: the patch's, if it was asked */
  markers: number;
  calls: number;
}

describe('unit: attempts lost to the infrastructure have a budget of their own', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  /**
   * A plain client, not the environment's: awaiting a result with it never unlocks time skipping,
   * so the test server's clock runs in real time, as the heartbeat and start-to-close timeouts
   * under test need (the environment's client would let it skip them).
   */
  let client: Client;
  let worker: Worker;
  let running: Promise<void>;
  const scripts = new Map<string, { attempts: Attempt[]; calls: number }>();
  let outcomes: Record<Case, Promise<Outcome>>;

  before(async () => {
    const path = readProvisionManifest()?.temporalTestServerPath;
    assert.ok(path, 'no temporalTestServerPath in the provision manifest: run `npx tsx infra/provision-unit-cli.ts`');
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
    client = new Client({ connection: env.connection });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowsPath: WORKFLOWS_PATH,
      activities: {
        async flaky(): Promise<string> {
          const script = scripts.get(Context.current().info.workflowExecution!.workflowId)!;
          const attempt = script.attempts[Math.min(script.calls, script.attempts.length - 1)]!;
          script.calls += 1;
          if (attempt === 'succeed') return `answered on call ${script.calls}`;
          if (attempt === 'fail') throw ApplicationFailure.create({ type: 'MODEL_DOWN', message: 'the model is down' });
          if (attempt === 'lose the database') throw toApplicationFailure(new MongoNetworkError('connection 1 closed'));
          return holdUntilCancelled(attempt === 'hang heartbeating' ? 200 : undefined);
        },
      },
    });
    running = worker.run();
    const entries = Object.entries(CASES).map(([name, attempts]) => [name, run(name, attempts)]);
    outcomes = Object.fromEntries(entries) as Record<Case, Promise<Outcome>>;
  });

  after(async () => {
    await Promise.allSettled(Object.values(outcomes ?? {}));
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  async function run(name: string, attempts: Attempt[]): Promise<Outcome> {
    const workflowId = `infrastructure-retries-${name}-${Date.now()}`;
    const script = { attempts, calls: 0 };
    scripts.set(workflowId, script);
    const handle = await client.workflow.start('callsFlakyActivity', { taskQueue: TASK_QUEUE, workflowId });
    const result = await handle.result().catch((error: unknown) => error);
    const history = await handle.fetchHistory();
    const markers = (history.events ?? []).filter((event) => event.markerRecordedEventAttributes).length;
    return { result, markers, calls: script.calls };
  }

  function causeOf(error: unknown): unknown {
    assert.ok(error instanceof WorkflowFailedError, String(error));
    assert.ok(error.cause instanceof ActivityFailure, String(error.cause));
    return error.cause.cause;
  }

  it('runs the activity again after a heartbeat timeout, and marks the run as patched', async () => {
    const { result, markers } = await outcomes.heartbeatLost;
    assert.equal(result, 'answered on call 3');
    assert.equal(markers, 1, `the ${INFRASTRUCTURE_RETRIES_PATCH} marker`);
  });

  it('runs the activity again when its database connection broke', async () => {
    assert.equal((await outcomes.databaseLost).result, 'answered on call 3');
  });

  it('leaves the activity’s own failure to its retry policy: one call, no rerun', async () => {
    const { result, calls } = await outcomes.ownFailure;
    const cause = causeOf(result);
    assert.ok(cause instanceof ApplicationFailure && cause.type === 'MODEL_DOWN', String(cause));
    assert.equal(calls, 1);
  });

  it('does not rerun work that hung while heartbeating (a start-to-close timeout)', async () => {
    const { result, calls } = await outcomes.hungHeartbeating;
    const cause = causeOf(result);
    assert.ok(cause instanceof TimeoutFailure && cause.timeoutType === 'START_TO_CLOSE', String(cause));
    assert.equal(calls, 1);
  });

  it(`gives up after ${INFRASTRUCTURE_RETRIES} reruns`, async () => {
    const { result, calls } = await outcomes.alwaysLost;
    const cause = causeOf(result);
    assert.ok(cause instanceof TimeoutFailure && cause.timeoutType === 'HEARTBEAT', String(cause));
    assert.equal(calls, 1 + INFRASTRUCTURE_RETRIES);
  });
});
