import assert from 'node:assert/strict';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../../../activities';
import type { MirrorJobInput } from '../../../activities/mirror';
import type { ValidateToolOutput } from '../../../activities/validate';
import type { ToolPlan } from '../../../contract';
import { readProvisionManifest } from '../../../infra/provision';
import type { toolGenerationJob } from '../../../workflows';
import { activityTaskQueue, HEARTBEAT_SEND_INTERVAL } from '../../../workflows/activity-options';
import type { JobInput, ToolRequirement } from '../../../workflows/definitions';
import { REVISIONS_PER_RUN } from '../../../workflows/job-state';
import { toolsmithSearchAttributes } from '../../../workflows/search-attributes';

/**
 * The job workflow's own code on the time-skipping test server, with every activity a stub that
 * answers from a script and records its call: no model, no sandbox, no MongoDB. A suite calls
 * `useJobWorkflowHarness()` inside its describe; the workflow code is bundled once per process.
 */

export const TASK_QUEUE = 'job-workflow-unit';
export const HOUR_MS = 60 * 60 * 1000;

type StageName = Exclude<keyof Activities, 'mirrorJob'>;
type Stub<K extends StageName> = (
  input: Parameters<Activities[K]>[0],
) => Awaited<ReturnType<Activities[K]>> | Promise<Awaited<ReturnType<Activities[K]>>>;
export type Script = { [K in StageName]: Stub<K> };

interface Call {
  workflowId: string;
  activity: keyof Activities;
  taskQueue: string;
  input: any;
}

export function plan(functionName: string): ToolPlan {
  return {
    functionName,
    summary: 'does it',
    parameters: [{ name: 'smiles', type: 'str', description: 'a molecule' }],
    returns: { type: 'float', description: 'a number' },
    dependencies: [],
    docQueries: [],
  };
}

export const PASSED: ValidateToolOutput = { verdict: 'passed', problems: [], testsRun: 3, testsPassed: 3 };

export const DEFAULT_SCRIPT: Script = {
  planTool: ({ requirementIndex }) => ({ plan: plan(`tool_${requirementIndex}`), tokens: 10 }),
  searchDocs: ({ requirementIndex }) => ({ docsRef: `docs-${requirementIndex}`, found: 2 }),
  implementTool: ({ requirementIndex, attempt }) => ({ draftRef: `draft-${requirementIndex}-${attempt}`, tokens: 100 }),
  validateTool: () => PASSED,
  registerTool: (input) => ({
    toolId: `${input.status}-${input.requirementIndex}`,
    name: input.plan.functionName,
    version: 1,
  }),
  findReusableTools: () => [],
};

export function requirement(description: string): ToolRequirement {
  return { description, input: 'a SMILES string', output: 'a number' };
}

let jobCount = 0;
export function jobInput(descriptions: string[], overrides: Partial<JobInput> = {}): JobInput {
  jobCount += 1;
  return {
    jobId: `job-${jobCount}-${Date.now()}`,
    tenantId: 'tenant-a',
    sessionId: '0123456789abcdef01234567',
    requirements: descriptions.map(requirement),
    clientId: 'unit',
    clientSessionId: null,
    requestedAt: '2026-01-01T00:00:00.000Z',
    settings: { maxRepairRounds: 2, toolDeadlineMs: 2 * HOUR_MS },
    previousRun: null,
    ...overrides,
  };
}

/** A promise and its resolver: a stub waits on it until the test lets it go. */
export function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

let bundled: ReturnType<typeof bundleWorkflowCode> | undefined;
/** The workflow code, bundled once for every suite of the process (a bundle takes seconds). */
function workflowBundle(): ReturnType<typeof bundleWorkflowCode> {
  bundled ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  return bundled;
}

export interface JobWorkflowHarness {
  /** what the stubs answer; reset to DEFAULT_SCRIPT before each test */
  script: Script;
  env: TestWorkflowEnvironment;
  start(input: JobInput): Promise<WorkflowHandle<typeof toolGenerationJob>>;
  callsOf(jobId: string, activity?: keyof Activities): Call[];
  mirrorWrites(jobId: string): MirrorJobInput[];
  checkedMirror(jobId: string, runNumber?: number): MirrorJobInput;
}

/** Starts the test server and the workers for the calling suite (in its before/after hooks). */
export function useJobWorkflowHarness(): JobWorkflowHarness {
  let workers: Worker[];
  let running: Promise<unknown>;
  const calls: Call[] = [];
  const harness = { script: DEFAULT_SCRIPT } as JobWorkflowHarness;

  before(async () => {
    const serverPath = readProvisionManifest()?.temporalTestServerPath;
    assert.ok(
      serverPath,
      'no temporalTestServerPath in the provision manifest: run `npx tsx infra/provision-unit-cli.ts`',
    );
    const [started, bundle] = await Promise.all([
      TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path: serverPath } },
      }),
      workflowBundle(),
    ]);
    harness.env = started;
    // The test server knows no custom search attributes until they are added, as the dev server's flags do.
    await started.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(
        toolsmithSearchAttributes.map((key) => [
          key.name,
          temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`],
        ]),
      ),
    });

    const record =
      (activity: keyof Activities, answer: (input: any) => unknown) =>
      async (input: any): Promise<unknown> => {
        const { taskQueue, workflowExecution } = Context.current().info;
        calls.push({ workflowId: workflowExecution!.workflowId, activity, taskQueue, input: structuredClone(input) });
        return answer(input);
      };
    const stage = (name: StageName) => record(name, (input) => harness.script[name](input));
    const activities = {
      planTool: stage('planTool'),
      searchDocs: stage('searchDocs'),
      implementTool: stage('implementTool'),
      validateTool: stage('validateTool'),
      registerTool: stage('registerTool'),
      findReusableTools: stage('findReusableTools'),
      mirrorJob: record('mirrorJob', () => undefined),
    };
    const common: Pick<WorkerOptions, 'connection' | 'maxHeartbeatThrottleInterval'> = {
      connection: started.nativeConnection,
      maxHeartbeatThrottleInterval: HEARTBEAT_SEND_INTERVAL,
    };
    // As worker/create-worker.ts: the workflow and every activity on the main queue, the model and the sandbox on their own.
    workers = await Promise.all([
      Worker.create({ ...common, taskQueue: TASK_QUEUE, workflowBundle: { code: bundle.code }, activities }),
      Worker.create({
        ...common,
        taskQueue: activityTaskQueue(TASK_QUEUE, 'llm'),
        activities: { planTool: activities.planTool, implementTool: activities.implementTool },
      }),
      Worker.create({
        ...common,
        taskQueue: activityTaskQueue(TASK_QUEUE, 'sandbox'),
        activities: { validateTool: activities.validateTool },
      }),
    ]);
    running = Promise.all(workers.map((worker) => worker.run()));
  });

  after(async () => {
    for (const worker of workers ?? []) worker.shutdown();
    await running;
    await harness.env?.teardown();
  });

  beforeEach(() => {
    harness.script = DEFAULT_SCRIPT;
  });

  harness.start = (input) =>
    harness.env.client.workflow.start<typeof toolGenerationJob>('toolGenerationJob', {
      taskQueue: TASK_QUEUE,
      workflowId: input.jobId,
      args: [input],
    });
  harness.callsOf = (jobId, activity) =>
    calls.filter((call) => call.workflowId === jobId && (activity ? call.activity === activity : true));
  harness.mirrorWrites = (jobId) => harness.callsOf(jobId, 'mirrorJob').map((call) => call.input);
  /** Each write newer than the one before, the requirements in the run's first only; the last one returned. */
  harness.checkedMirror = (jobId, runNumber = 0) => {
    const writes = harness.mirrorWrites(jobId);
    assert.ok(writes.length >= 2, `${writes.length} mirror writes`);
    assert.deepEqual(
      writes.map((write) => write.revision),
      writes.map((_, index) => runNumber * REVISIONS_PER_RUN + index + 1),
    );
    assert.ok(writes[0]!.toolRequirements, 'the run’s first write carries the requirements');
    assert.ok(writes.slice(1).every((write) => write.toolRequirements === null));
    return writes.at(-1)!;
  };
  return harness;
}

/** The activities a run scheduled, as its history records them: type, queue, summary, timeouts, attempts. */
export async function scheduledActivities(handle: WorkflowHandle) {
  const { events } = await handle.fetchHistory();
  return (events ?? [])
    .filter((event) => event.activityTaskScheduledEventAttributes)
    .map((event) => {
      const attributes = event.activityTaskScheduledEventAttributes!;
      const summary = event.userMetadata?.summary;
      return {
        activity: attributes.activityType!.name!,
        taskQueue: attributes.taskQueue!.name!,
        summary: summary ? defaultPayloadConverter.fromPayload<string>(summary) : undefined,
        startToCloseSeconds: Number(attributes.startToCloseTimeout?.seconds ?? 0),
        heartbeatSeconds: Number(attributes.heartbeatTimeout?.seconds ?? 0),
        maximumAttempts: attributes.retryPolicy?.maximumAttempts ?? 0,
      };
    });
}

/** The `patched()` ids a run recorded. */
export async function patchMarkers(handle: WorkflowHandle): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? [])
    .map((event) => event.markerRecordedEventAttributes)
    .filter((marker) => marker?.markerName === 'core_patch')
    .map((marker) => defaultPayloadConverter.fromPayload<string>(marker!.details!['patch-data']!.payloads![0]!))
    .map((data: any) => data.id);
}
