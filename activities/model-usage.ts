import { Context } from '@temporalio/activity';
import type { LlmCallContext } from '../llm/gateway';
import type { AgentSessionStore } from '../store/agent-sessions';
import type { AgentSessionDocument, JobStatus, ModelUsageDocument } from '../store/documents';

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

/** The recorded calls a tool's models are read from (store/agent-sessions.ts). */
export type ModelCallLog = Pick<AgentSessionStore, 'findByJobId'>;

/**
 * The models a tool's calls asked in one run, in the order first asked: answered calls only, as
 * its usage counts them (a refused request, e.g. a 429, asked nothing of the model).
 */
export function modelsOf(
  calls: Pick<AgentSessionDocument, 'requirement_index' | 'run_id' | 'model' | 'response'>[],
  requirementIndex: number,
  runId: string | null,
): string[] {
  const models = new Set<string>();
  for (const call of calls) {
    const inRun = runId === null || call.run_id === runId;
    if (call.requirement_index === requirementIndex && inRun && call.response != null && call.model) {
      models.add(call.model);
    }
  }
  return [...models];
}

/** A tool's usage with the models its calls asked (absent when none was recorded). */
export async function withModels(
  usage: ModelUsageDocument,
  log: ModelCallLog,
  scope: { jobId: string; requirementIndex: number; runId: string | null },
): Promise<ModelUsageDocument> {
  const models = modelsOf(await log.findByJobId(scope.jobId), scope.requirementIndex, scope.runId);
  return models.length ? { ...usage, models } : usage;
}
