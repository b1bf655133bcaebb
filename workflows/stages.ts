import { patched, scheduleActivity, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { GenerationSettings } from './definitions';
import {
  activityTaskQueue,
  docsActivityOptions,
  llmActivityOptions,
  sandboxActivityOptions,
  storageActivityOptions,
  type ActivityQueueKind,
} from './activity-options';
import { survivingInfrastructure } from './infrastructure-retries';
import { SEPARATE_TASK_QUEUES_PATCH } from './patches';

interface StagePolicy {
  options: ActivityOptions;
  /** a model call: its start-to-close timeout is the job's `llmCallTimeoutMs` when the job has one */
  callsModel?: boolean;
  /** its own task queue beside the workflow's (for runs that have the split) */
  queue?: ActivityQueueKind;
  /** run again when the retry policy ended on an infrastructure loss (infrastructure-retries.ts) */
  survivesInfrastructure: boolean;
}

/** the activities a job calls as its stages (the mirror is not one: mirror-loop.ts) */
export type StageName = Exclude<keyof Activities, 'mirrorJob'>;

/** How each stage of a tool (and the reuse lookup) is called: its preset, its queue, whether it outlasts lost workers. */
const STAGES: Record<StageName, StagePolicy> = {
  planTool: { options: llmActivityOptions, callsModel: true, queue: 'llm', survivesInfrastructure: true },
  searchDocs: { options: docsActivityOptions, survivesInfrastructure: true },
  implementTool: { options: llmActivityOptions, callsModel: true, queue: 'llm', survivesInfrastructure: true },
  validateTool: { options: sandboxActivityOptions, queue: 'sandbox', survivesInfrastructure: true },
  registerTool: { options: storageActivityOptions, survivesInfrastructure: false },
  findReusableTools: { options: storageActivityOptions, survivesInfrastructure: false },
};

type StageInput<K extends StageName> = Parameters<Activities[K]>[0];
type StageOutput<K extends StageName> = Awaited<ReturnType<Activities[K]>>;

function queueOf(kind: ActivityQueueKind): { taskQueue?: string } {
  return patched(SEPARATE_TASK_QUEUES_PATCH) ? { taskQueue: activityTaskQueue(workflowInfo().taskQueue, kind) } : {};
}

/** The job's settings that change a stage's preset; jobs started before one existed keep the preset's value. */
export type StageSettings = Pick<GenerationSettings, 'llmCallTimeoutMs'>;

/**
 * A model call's attempt may take as long as the gateway's longest call (LLM_REQUEST_TIMEOUT_MS times
 * the HTTP calls it may make), which the API worked out for the job; without it, LLM_CALL_TIMEOUT.
 * Only the timeout of the scheduled activity changes: no command is added or removed.
 */
function timeoutOf(policy: StagePolicy, settings: StageSettings): Pick<ActivityOptions, 'startToCloseTimeout'> {
  const timeoutMs = settings.llmCallTimeoutMs;
  return policy.callsModel && timeoutMs !== undefined && timeoutMs > 0 ? { startToCloseTimeout: timeoutMs } : {};
}

/**
 * Calls one stage's activity with its preset (a model call's timeout from the job's `settings`), its
 * task queue and `summary` (the line the Web UI shows for the call; without one, none is sent). The
 * options are built for each call, so the task-queue patch is asked at the moment of scheduling, as
 * it always was. Not async, on purpose: it hands back the call's own promise, so the caller resumes
 * as many microtasks after the result as it always did; with tools in parallel, that decides the
 * order of their commands within a workflow task.
 */
export function callStage<K extends StageName>(
  stage: K,
  input: StageInput<K>,
  summary?: string,
  settings: StageSettings = {},
): Promise<StageOutput<K>> {
  const policy = STAGES[stage];
  const call = () =>
    scheduleActivity<StageOutput<K>>(stage, [input], {
      ...policy.options,
      ...timeoutOf(policy, settings),
      ...(policy.queue ? queueOf(policy.queue) : {}),
      ...(summary === undefined ? {} : { summary }),
    });
  return policy.survivesInfrastructure ? survivingInfrastructure(call) : call();
}
