import { Context } from '@temporalio/activity';
import type { LlmCallContext } from '../llm/gateway';
import type { JobStatus, ModelUsageDocument } from '../store/documents';

/** What the worker records of what tools and jobs cost (worker/metrics.ts fills it with Prometheus histograms). */
export interface CostMetrics {
  /** a tool was stored, registered or failed, after these model calls */
  toolStored(status: 'registered' | 'failed', usage: ModelUsageDocument): void;
  /** a run of a job ended; `usage` is the whole job's, over all its runs */
  jobEnded(status: JobStatus, usage: ModelUsageDocument): void;
}

/** The run of the activity's workflow: model calls are recorded with it, so a tool's cost is its own run's. */
export function currentRunId(): string | null {
  return Context.current().info.workflowExecution?.runId ?? null;
}

/** How an activity's model call is recorded in agent_sessions. */
export function modelCallContext(jobId: string, requirementIndex: number, step: string): LlmCallContext {
  return { jobId, runId: currentRunId(), requirementIndex, step };
}
