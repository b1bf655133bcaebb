import type { Client } from '@temporalio/client';
import { Worker, type ReplayResult, type ReplayWorkerOptions } from '@temporalio/worker';

/** The workflow code as it is now: replaying old histories against it shows whether they still fit. */
export const CURRENT_WORKFLOWS_PATH = require.resolve('../workflows');

export interface ReplayOutcome {
  workflowId: string;
  runId: string;
  /** the determinism error (or other replay failure), in words; null when the history replays */
  error: string | null;
}

function toOutcome(result: ReplayResult): ReplayOutcome {
  return {
    workflowId: result.workflowId,
    runId: result.runId,
    error: result.error ? `${result.error.name}: ${result.error.message}` : null,
  };
}

/** Replays every history the visibility query finds, one worker bundle for all of them. */
export async function replayQuery(
  client: Client,
  query: string,
  workflowsPath = CURRENT_WORKFLOWS_PATH,
): Promise<ReplayOutcome[]> {
  const options: ReplayWorkerOptions = { workflowsPath, replayName: 'toolsmith-replay' };
  const outcomes: ReplayOutcome[] = [];
  for await (const result of Worker.runReplayHistories(options, client.workflow.list({ query }).intoHistories())) {
    outcomes.push(toOutcome(result));
  }
  return outcomes;
}

/** Every run of one job (a retried job has several), replayed against the current workflow code. */
export function replayJob(client: Client, jobId: string, workflowsPath?: string): Promise<ReplayOutcome[]> {
  return replayQuery(client, `WorkflowId = "${jobId.replace(/"/g, '')}"`, workflowsPath);
}

/** Every job run that failed, timed out or was terminated. */
export function replayFailedJobs(client: Client, workflowsPath?: string): Promise<ReplayOutcome[]> {
  return replayQuery(
    client,
    'WorkflowType = "toolGenerationJob" AND ExecutionStatus IN ("Failed", "TimedOut", "Terminated")',
    workflowsPath,
  );
}
