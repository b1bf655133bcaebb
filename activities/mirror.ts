import { ObjectId } from 'mongodb';
import { endedJobStatuses } from '../contract';
import { DEFAULT_TENANT, type JobStatus, type ModelUsageDocument, type SessionStatus } from '../store/documents';
import type { Stores } from '../store';
import type { CostMetrics } from './model-usage';
import type {
  JobResult,
  ToolFailure,
  ToolProgress,
  ToolRequirement,
  WorkflowJobProgress as JobProgress,
  GenerationSummary,
} from '../contract';

export interface MirrorJobInput {
  jobId: string;
  sessionId: string;
  /** absent in jobs started before tenants existed */
  tenantId?: string;
  /** absent in jobs started before reuse existed */
  reuseTools?: boolean;
  /** the job's options.model, when it named one */
  model?: string;
  clientId: string | null;
  clientSessionId: string | null;
  /** sent with the first mirror only: it is written once, when the session document is created */
  toolRequirements: ToolRequirement[] | null;
  requestedAt: string;
  /** 0 for the first run of the job, then one more per retry */
  runNumber: number;
  sessionStatus: SessionStatus;
  jobStatus: JobStatus;
  progress: JobProgress;
  tools: ToolProgress[];
  failures: ToolFailure[];
  error: { code: string; message: string } | null;
  revision: number;
  /** the run writing (absent in runs started before it was mirrored) */
  runId?: string;
  /** the completed run's summary, in its final write only (absent before it was mirrored) */
  summary?: JobResult['summary'] | null;
}

const ENDED_STATUSES: ReadonlySet<JobStatus> = new Set(endedJobStatuses);

/**
 * The run's summary with what the whole job cost: every model call is recorded before its
 * activity returns, so by a run's final write all of them are in agent_sessions.
 */
function withModelUsage(summary: JobResult['summary'], usage: ModelUsageDocument): GenerationSummary {
  return {
    ...summary,
    modelCalls: usage.calls,
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens,
  };
}

/** Copies the workflow's state into `sessions`, so the API can answer when Temporal cannot. */
export function createMirrorActivity(stores: Stores, costs: CostMetrics) {
  return async function mirrorJob(input: MirrorJobInput): Promise<void> {
    const ended = ENDED_STATUSES.has(input.jobStatus);
    const usage = ended
      ? await stores.agentSessions.usage({ jobId: input.jobId, requirementCount: input.tools.length })
      : null;
    const summary = input.summary && usage ? withModelUsage(input.summary, usage) : (input.summary ?? null);
    const written = await stores.sessions.mirror({
      jobId: input.jobId,
      sessionId: input.sessionId,
      tenantId: input.tenantId ?? DEFAULT_TENANT,
      reuseTools: input.reuseTools ?? true,
      ...(input.model === undefined ? {} : { model: input.model }),
      userId: input.clientId,
      clientSessionId: input.clientSessionId,
      toolRequirements: input.toolRequirements ?? [],
      createdAt: new Date(input.requestedAt),
      runNumber: input.runNumber,
      status: input.sessionStatus,
      jobStatus: input.jobStatus,
      progress: {
        total: input.progress.total,
        completed: input.progress.completed,
        failed: input.progress.failed,
        in_progress: input.progress.inProgress,
        current_tool: input.progress.currentTool,
      },
      toolIds: input.tools.filter((tool) => tool.toolId).map((tool) => new ObjectId(tool.toolId!)),
      toolProgress: input.tools.map((tool) => ({
        requirement_index: tool.requirementIndex,
        stage: tool.stage,
        name: tool.name,
        attempts: tool.attempts,
        tool_id: tool.toolId,
        error: tool.error,
        reused: tool.reused ?? false,
      })),
      failures: input.failures.map((failure) => ({
        requirement_index: failure.requirementIndex,
        tool_requirement: failure.toolRequirement,
        code: failure.code,
        error: failure.error,
        ...(failure.lastReply === undefined ? {} : { last_reply: failure.lastReply }),
      })),
      error: input.error,
      revision: input.revision,
      runId: input.runId ?? null,
      summary,
      at: new Date(),
    });
    // A retried final write finds its own revision stored ('stale'): each run's end is counted once.
    if (usage && written === 'written') {
      costs.jobEnded(input.jobStatus, usage);
      // The run's place among its client's running jobs is free now, not when the API next finds
      // every place taken and asks Temporal which of their jobs have ended.
      await stores.runningJobs.release(input.tenantId ?? DEFAULT_TENANT, input.jobId);
    }
  };
}
