import { setTimeout as sleep } from 'node:timers/promises';
import type { JobResponse } from '../../contract';
import { CliError, type ToolsmithApi } from '../api-client';
import { followJob, type JobObserver } from '../job-follower';
import { matchesExpected } from './expected-values';
import type { PredicateChecker } from './predicates';
import type { EvalSuite, EvalTask, HeldOutCall } from './suite';

/** One held-out call: did the registered tool answer it right, and if not, what went wrong. */
export interface HeldOutResult {
  input: Record<string, unknown>;
  passed: boolean;
  error: string | null;
}

/** What became of one task: the tool made or not (and why), its held-out calls, what it cost. */
export interface TaskResult {
  id: string;
  /** a tool was registered for the requirement */
  made: boolean;
  /** made, and every held-out call passed */
  success: boolean;
  jobId: string | null;
  toolId: string | null;
  heldOutPassed: number;
  heldOutTotal: number;
  modelCalls: number;
  promptTokens: number;
  completionTokens: number;
  /** from submitting the job to seeing it end */
  wallMs: number;
  /** implementations after the first that validation sent back; null when no implementation was stored */
  repairRounds: number | null;
  /** why the tool was not made, or which held-out calls failed */
  error: string | null;
  heldOut: HeldOutResult[];
}

export interface EvaluationSettings {
  api: ToolsmithApi;
  suite: EvalSuite;
  predicates: PredicateChecker;
  /** jobs in flight at once (the service's MAX_RUNNING_JOBS_PER_CLIENT must allow as many) */
  concurrency: number;
  /** a job not ended after this long is cancelled, and its task fails */
  taskTimeoutMs: number;
  /** take a registered tool made for an equal requirement instead of generating (off: measure generation) */
  reuse?: boolean;
  /** `metadata.sessionId` of every job of the run, to find them later */
  label?: string;
  /** told as each task ends, e.g. to show progress */
  onTaskDone?(result: TaskResult, done: number, total: number): void;
}

/** Busy or rate limited: worth asking again shortly. */
const RETRYABLE_STATUSES = new Set([429, 503]);
const RETRY_DELAY_MS = 2_000;
const MAX_SUBMIT_ATTEMPTS = 60;
const MAX_EXECUTE_ATTEMPTS = 5;

const silently: JobObserver = { onStage: () => undefined, onSnapshot: () => undefined, onNotice: () => undefined };

function isRetryable(error: unknown): boolean {
  return error instanceof CliError && RETRYABLE_STATUSES.has(error.extras.httpStatus ?? 0);
}

/** Runs `call`, asking again after a pause while the service is busy or rate limiting us. */
async function patiently<T>(call: () => Promise<T>, attempts: number): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!isRetryable(error) || attempt >= attempts) throw error;
      await sleep(RETRY_DELAY_MS);
    }
  }
}

function describeError(error: unknown): string {
  if (error instanceof CliError) return `${error.message} (${error.code})`;
  return (error as Error)?.message ?? String(error);
}

const brief = (value: unknown) => {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
};

/** Calls the registered tool on one held-out input, through /execute like any client, and judges the answer. */
async function runHeldOutCall(
  api: ToolsmithApi,
  toolId: string,
  call: HeldOutCall,
  predicates: PredicateChecker,
): Promise<HeldOutResult> {
  const failed = (error: string): HeldOutResult => ({ input: call.input, passed: false, error });
  let execution;
  try {
    execution = await patiently(() => api.executeTool(toolId, call.input), MAX_EXECUTE_ATTEMPTS);
  } catch (error) {
    const refused = error instanceof CliError && error.extras.httpStatus === 400;
    return failed(refused ? `the tool's input schema refuses it: ${describeError(error)}` : describeError(error));
  }
  if (!execution.success) return failed(`the tool failed: ${execution.error}`);
  if (call.predicate !== undefined) {
    const verdict = await predicates.check(call.predicate, call.input, execution.output);
    return verdict.passed ? { input: call.input, passed: true, error: null } : failed(verdict.error ?? 'failed');
  }
  if (matchesExpected(execution.output, call.expected, call.tolerance ?? 0)) {
    return { input: call.input, passed: true, error: null };
  }
  const within = call.tolerance ? ` (within ${call.tolerance})` : '';
  return failed(`expected ${brief(call.expected)}${within}, got ${brief(execution.output)}`);
}

/** Follows the job to its end; one that outlives `timeoutMs` is cancelled and reported as such. */
async function awaitJobEnd(api: ToolsmithApi, jobId: string, timeoutMs: number): Promise<JobResponse | string> {
  const deadline = new AbortController();
  const timedOut = sleep(timeoutMs, 'timed out', { signal: deadline.signal }).catch(() => null);
  try {
    const ended = await Promise.race([followJob(api, jobId, silently), timedOut]);
    if (ended !== 'timed out' && ended !== null) return ended;
    await api.cancelJob(jobId).catch(() => undefined);
    return `the job did not end within ${Math.round(timeoutMs / 1000)} s, and was cancelled`;
  } finally {
    deadline.abort();
  }
}

/** Why a job made no tool, in a line. */
function whyNotMade(job: JobResponse): string {
  const failure = job.failures?.[0];
  if (failure) return `${failure.code ?? 'FAILED'}: ${failure.error}`;
  if (job.error) return `${job.error.code}: ${job.error.message}`;
  return `the job ended ${job.status} without a tool`;
}

/** The repairs recorded on the job's tool (registered, or stored as failed). */
async function repairRoundsOf(api: ToolsmithApi, jobId: string): Promise<number | null> {
  const { tools } = await api.listTools({ jobId, limit: 1 });
  const tool = tools[0] ? await api.getTool(tools[0].toolId) : null;
  return tool?.repairRounds ?? null;
}

async function runTask(settings: EvaluationSettings, task: EvalTask): Promise<TaskResult> {
  const { api } = settings;
  const result: TaskResult = {
    id: task.id,
    made: false,
    success: false,
    jobId: null,
    toolId: null,
    heldOutPassed: 0,
    heldOutTotal: task.heldOut.length,
    modelCalls: 0,
    promptTokens: 0,
    completionTokens: 0,
    wallMs: 0,
    repairRounds: null,
    error: null,
    heldOut: [],
  };
  const started = performance.now();
  try {
    // The held-out calls stay here: the service sees the requirement (and its examples) only.
    const submitted = await patiently(
      () =>
        api.submitJob({
          toolRequirements: [task.requirement],
          options: { reuse: settings.reuse ?? false },
          metadata: { clientId: 'toolsmith-eval', ...(settings.label ? { sessionId: settings.label } : {}) },
        }),
      MAX_SUBMIT_ATTEMPTS,
    );
    result.jobId = submitted.jobId;
    const job = await awaitJobEnd(api, submitted.jobId, settings.taskTimeoutMs);
    result.wallMs = Math.round(performance.now() - started);
    if (typeof job === 'string') return { ...result, error: job };
    result.modelCalls = job.summary?.modelCalls ?? 0;
    result.promptTokens = job.summary?.promptTokens ?? 0;
    result.completionTokens = job.summary?.completionTokens ?? 0;
    result.repairRounds = await repairRoundsOf(api, submitted.jobId);
    const tool = job.status === 'completed' ? job.toolFiles?.find((file) => file.registered) : undefined;
    if (!tool) return { ...result, error: whyNotMade(job) };
    result.made = true;
    result.toolId = tool.toolId;
    for (const call of task.heldOut) {
      result.heldOut.push(await runHeldOutCall(api, tool.toolId, call, settings.predicates));
    }
  } catch (error) {
    // One task's trouble (the API refusing it, a dropped connection) is that task's result, not the run's end.
    return { ...result, wallMs: result.wallMs || Math.round(performance.now() - started), error: describeError(error) };
  }
  const failures = result.heldOut.filter((call) => !call.passed);
  result.heldOutPassed = result.heldOut.length - failures.length;
  result.success = failures.length === 0;
  if (failures.length) {
    const first = failures[0]!;
    result.error = `${failures.length} of ${result.heldOutTotal} held-out calls failed; first, input ${brief(first.input)}: ${first.error}`;
  }
  return result;
}

/**
 * Submits every task of the suite as a job of its own (at most `concurrency` at once), waits for
 * each, and calls each registered tool on the task's held-out inputs. Results come in suite order.
 */
export async function runEvaluation(settings: EvaluationSettings): Promise<TaskResult[]> {
  const { tasks } = settings.suite;
  const results: TaskResult[] = new Array(tasks.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let index = next++; index < tasks.length; index = next++) {
      results[index] = await runTask(settings, tasks[index]!);
      done += 1;
      settings.onTaskDone?.(results[index]!, done, tasks.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(settings.concurrency, tasks.length)) }, worker));
  return results;
}
