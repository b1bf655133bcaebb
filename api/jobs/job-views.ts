import type { WorkflowExecutionDescription } from '@temporalio/client';
import type {
  ProgressDocument,
  SessionDocument,
  TestCorrectionDocument,
  TestExpectationDocument,
  ToolDocument,
  ToolFailureDocument,
} from '../../store/documents';
import type { GeneratedToolRef, JobInput, JobResult, ToolFailure } from '../../workflows/definitions';
import type {
  JobError,
  JobProgress,
  JobResponse,
  TestCorrection,
  TestExpectation,
  ToolFile,
  ToolGenerationFailure,
} from '../../contract';
import { temporalUiLink } from '../temporal-links';
import { toModelUsageView, toTestCaseViews } from '../tool-views';

/** Pure: what a job answer says, from what Temporal and the MongoDB mirror told about the job. */

export interface TemporalLinkSettings {
  /** the Web UI's base URL, without a trailing slash */
  uiUrl: string;
  namespace: string;
}

export type TemporalRef = JobResponse['temporal'];

export function temporalRef(settings: TemporalLinkSettings, workflowId: string, runId: string | null): TemporalRef {
  return { workflowId, runId, uiUrl: temporalUiLink(settings.uiUrl, settings.namespace, workflowId, runId) };
}

export function emptyProgress(total: number): JobProgress {
  return { total, completed: 0, failed: 0, inProgress: 0, currentTool: null };
}

export function toProgressView(progress: ProgressDocument): JobProgress {
  return {
    total: progress.total,
    completed: progress.completed,
    failed: progress.failed,
    inProgress: progress.in_progress,
    currentTool: progress.current_tool,
  };
}

export function toToolFile(tool: ToolDocument): ToolFile {
  return {
    toolId: tool._id.toHexString(),
    fileName: tool.file_name,
    filePath: tool.file_path,
    description: tool.description,
    code: tool.code,
    endpoint: null,
    registered: tool.status === 'registered',
    createdAt: tool.created_at.toISOString(),
    testCases: toTestCaseViews(tool),
    ...(tool.model_usage ? { modelUsage: toModelUsageView(tool.model_usage) } : {}),
    ...(tool.test_corrections?.length ? { testCorrections: tool.test_corrections.map(toTestCorrectionView) } : {}),
  };
}

function toExpectationView(expectation: TestExpectationDocument): TestExpectation {
  return expectation.raises === undefined
    ? { expectedOutput: expectation.expected_output }
    : { raises: expectation.raises, ...(expectation.match === undefined ? {} : { match: expectation.match }) };
}

export function toTestCorrectionView(correction: TestCorrectionDocument): TestCorrection {
  return {
    test: correction.test,
    attempt: correction.attempt,
    before: toExpectationView(correction.before),
    after: toExpectationView(correction.after),
    reason: correction.reason,
  };
}

/** A failed tool as the job answer lists it, from the run's result or its mirrored session. */
export function toFailureView(failure: ToolFailure | ToolFailureDocument): ToolGenerationFailure {
  const [toolRequirement, lastReply] =
    'toolRequirement' in failure
      ? [failure.toolRequirement, failure.lastReply]
      : [failure.tool_requirement, failure.last_reply];
  return {
    toolRequirement,
    error: failure.error,
    code: failure.code,
    ...(lastReply === undefined ? {} : { lastReply }),
  };
}

/** One registered tool per requirement index: the newest, should several runs have made one. */
export function latestPerRequirement(tools: ToolDocument[]): GeneratedToolRef[] {
  const newest = new Map<number, ToolDocument>();
  for (const tool of tools) {
    const seen = newest.get(tool.requirement_index);
    if (!seen || seen.created_at <= tool.created_at) newest.set(tool.requirement_index, tool);
  }
  return [...newest.values()]
    .sort((a, b) => a.requirement_index - b.requirement_index)
    .map((tool) => ({ requirementIndex: tool.requirement_index, toolId: tool._id.toHexString(), name: tool.name }));
}

/** The contract's field order, so answers read the same whichever path built them. */
export function jobResponse(job: JobResponse): JobResponse {
  const { jobId, status, createdAt, updatedAt, progress, toolFiles, failures, summary, error, temporal } = job;
  return {
    jobId,
    status,
    createdAt,
    updatedAt,
    progress,
    ...(toolFiles ? { toolFiles } : {}),
    ...(failures ? { failures } : {}),
    ...(summary ? { summary } : {}),
    ...(error ? { error } : {}),
    temporal,
  };
}

/** A job just started (or re-run): pending, with the tools a retry keeps already counted. */
export function startedJobView(input: JobInput, temporal: TemporalRef): JobResponse {
  const kept = input.previousRun?.keptTools.length ?? 0;
  return jobResponse({
    jobId: input.jobId,
    status: 'pending',
    createdAt: input.requestedAt,
    updatedAt: new Date().toISOString(),
    progress: { ...emptyProgress(input.requirements.length), completed: kept },
    temporal,
  });
}

/** What became of a run, as far as it is needed for its answer (see temporal-jobs.ts). */
export type RunOutcome =
  | { kind: 'pending' }
  /** `progress` is null when no worker answered the progress query in time */
  | { kind: 'running'; progress: JobProgress | null }
  | { kind: 'completed'; result: JobResult }
  | { kind: 'failed'; error: JobError }
  | { kind: 'cancelled' };

/**
 * A job answered from its live workflow; the mirrored session (if any) fills what the run cannot
 * say. `toolFiles` are the registered tools of a completed run's result.
 */
export function liveJobView(
  description: WorkflowExecutionDescription,
  session: SessionDocument | null,
  outcome: RunOutcome,
  toolFiles: ToolFile[],
  temporal: TemporalRef,
): JobResponse {
  const mirroredOrEmpty = () => (session ? toProgressView(session.progress) : emptyProgress(0));
  const base = {
    jobId: description.workflowId,
    createdAt: (session?.created_at ?? description.startTime).toISOString(),
    updatedAt: (description.closeTime ?? session?.updated_at ?? description.startTime).toISOString(),
    temporal,
  };
  switch (outcome.kind) {
    case 'pending':
      return jobResponse({ ...base, status: 'pending', progress: mirroredOrEmpty() });
    case 'running':
      // No worker answered in time (all busy or down): the mirror is at most one stage behind.
      return jobResponse({ ...base, status: 'running', progress: outcome.progress ?? mirroredOrEmpty() });
    case 'completed': {
      const { summary, failures } = outcome.result;
      return jobResponse({
        ...base,
        status: 'completed',
        progress: {
          total: summary.totalRequested,
          completed: summary.successful,
          failed: summary.failed,
          inProgress: 0,
          currentTool: null,
        },
        toolFiles,
        failures: failures.map(toFailureView),
        summary,
      });
    }
    case 'failed':
      return jobResponse({ ...base, status: 'failed', progress: mirroredOrEmpty(), error: outcome.error });
    case 'cancelled':
      return jobResponse({ ...base, status: 'cancelled', progress: mirroredOrEmpty() });
  }
}

/** A job answered from its mirrored session alone: an ended run's final state, or whatever is there when Temporal cannot be asked. */
export function mirroredJobView(session: SessionDocument, toolFiles: ToolFile[], temporal: TemporalRef): JobResponse {
  const finished = session.job_status === 'completed';
  return jobResponse({
    jobId: session.job_id,
    status: session.job_status,
    createdAt: session.created_at.toISOString(),
    updatedAt: session.updated_at.toISOString(),
    progress: toProgressView(session.progress),
    ...(finished
      ? {
          toolFiles,
          failures: session.failures.map(toFailureView),
          summary: session.summary ?? {
            totalRequested: session.progress.total,
            successful: session.progress.completed,
            failed: session.progress.failed,
            reused: (session.tool_progress ?? []).filter((tool) => tool.reused).length,
          },
        }
      : {}),
    ...(session.error ? { error: session.error } : {}),
    temporal,
  });
}
