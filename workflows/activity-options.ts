import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/**
 * Named presets, one per kind of work. Timeouts are per attempt; Temporal retries with backoff,
 * and an activity that throws a non-retryable ApplicationFailure (bad key, invalid request)
 * fails at once. Long activities heartbeat (activities/heartbeat.ts), so a worker that dies
 * mid-call is noticed within the heartbeat timeout and the attempt moves to another worker.
 */
export const LLM_CALL_TIMEOUT = '5 minutes';
export const LLM_MAX_ATTEMPTS = 5;
export const SANDBOX_RUN_TIMEOUT = '3 minutes';
export const SANDBOX_MAX_ATTEMPTS = 3;
/** the first search may build the documentation index of the runtime */
export const DOCS_SEARCH_TIMEOUT = '10 minutes';
export const STORAGE_WRITE_TIMEOUT = '30 seconds';
/** registering a tool writes several documents and its file: on a loaded FerretDB, that can take a while */
export const STORAGE_ACTIVITY_TIMEOUT = '2 minutes';
export const STORAGE_MAX_ATTEMPTS = 10;
/**
 * How long a running activity may go unheard before its attempt is given up: a dead worker is
 * noticed this late. Workers send heartbeats every HEARTBEAT_SEND_INTERVAL, so a loaded machine
 * has most of this as margin (the SDK's own default, 0.8 × this, left 1.2 s, and a loaded chaos
 * run lost most attempts to it).
 */
export const HEARTBEAT_TIMEOUT = '10 seconds';
/** A cancellation reaches a running activity only in a heartbeat's answer: this bounds how fast a cancel stops it. */
export const HEARTBEAT_SEND_INTERVAL = '1 second';
/**
 * Attempts lost to the infrastructure (the worker died or stalled: a heartbeat or schedule-to-start
 * timeout) are not the activity's fault. When the retry policy's last attempt is such a loss, the
 * workflow runs the activity again, up to this many times, instead of failing the tool.
 */
export const INFRASTRUCTURE_RETRIES = 10;

export const llmActivityOptions: ActivityOptions = {
  startToCloseTimeout: LLM_CALL_TIMEOUT,
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: LLM_MAX_ATTEMPTS,
  },
};

export const sandboxActivityOptions: ActivityOptions = {
  startToCloseTimeout: SANDBOX_RUN_TIMEOUT,
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: SANDBOX_MAX_ATTEMPTS,
  },
};

export const docsActivityOptions: ActivityOptions = {
  ...sandboxActivityOptions,
  startToCloseTimeout: DOCS_SEARCH_TIMEOUT,
};

export const storageActivityOptions: ActivityOptions = {
  startToCloseTimeout: STORAGE_ACTIVITY_TIMEOUT,
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: STORAGE_MAX_ATTEMPTS,
  },
};

/** The mirror is how the API answers when Temporal cannot: it keeps trying (latest state wins) rather than fail the job. */
export const mirrorActivityOptions: ActivityOptions = {
  startToCloseTimeout: STORAGE_WRITE_TIMEOUT,
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/**
 * The mirror as a local activity: it runs in the workflow's own worker, recorded by one marker,
 * with no task-queue round trips (two matching dispatches per activity on the dev server). It is a
 * single idempotent write (older revisions lose), so rerunning it after a crash is harmless.
 */
export const mirrorLocalActivityOptions: LocalActivityOptions = {
  startToCloseTimeout: STORAGE_WRITE_TIMEOUT,
  retry: mirrorActivityOptions.retry,
};

/**
 * The LLM and sandbox activities each have a task queue of their own beside the workflow's, so
 * each scales by its own bottleneck and the LLM queue's rate limit holds for the whole fleet.
 */
export type ActivityQueueKind = 'llm' | 'sandbox';

export function activityTaskQueue(workflowTaskQueue: string, kind: ActivityQueueKind): string {
  return `${workflowTaskQueue}-${kind}`;
}
