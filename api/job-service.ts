import { Client, WorkflowFailedError, type WorkflowExecutionDescription } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { ObjectId } from 'mongodb';
import { isErrorCode } from '../errors';
import type { Stores } from '../store';
import type { SessionDocument, ToolDocument } from '../store/documents';
import { toolGenerationJob } from '../workflows';
import { progressQuery, type GenerationSettings, type JobInput, type JobResult } from '../workflows/definitions';
import { clientIdKey, jobStatusKey, toolCountKey } from '../workflows/search-attributes';
import type { JobProgress, JobResponse, ToolFile, ToolGenerationRequest } from './contract';
import { HttpError } from './http-errors';

export const PROGRESS_QUERY_DEADLINE_MS = 3_000;
/** A run whose history holds only "started" and the first task has not been picked up by a worker yet. */
const UNSTARTED_HISTORY_LENGTH = 2;

export interface TemporalSettings {
  client: Client;
  namespace: string;
  taskQueue: string;
  uiUrl: string;
}

export interface JobAnswer {
  job: JobResponse;
  /** true when Temporal could not be asked and the answer comes from the MongoDB mirror */
  fromMirror: boolean;
}

function newJobId(): string {
  return `job_${new ObjectId().toHexString()}`;
}

function emptyProgress(total: number): JobProgress {
  return { total, completed: 0, failed: 0, inProgress: 0, currentTool: null };
}

function mirroredProgress(session: SessionDocument): JobProgress {
  return {
    total: session.progress.total,
    completed: session.progress.completed,
    failed: session.progress.failed,
    inProgress: session.progress.in_progress,
    currentTool: session.progress.current_tool,
  };
}

function toToolFile(tool: ToolDocument): ToolFile {
  return {
    toolId: tool._id.toHexString(),
    fileName: tool.file_name,
    filePath: tool.file_path,
    description: tool.description,
    code: tool.code,
    endpoint: null,
    registered: tool.status === 'registered',
    createdAt: tool.created_at.toISOString(),
  };
}

/** The contract's field order, so answers read the same whichever path built them. */
function jobResponse(job: JobResponse): JobResponse {
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

export function createJobService(temporal: TemporalSettings, stores: Stores, generation: GenerationSettings) {
  const uiLink = (workflowId: string, runId: string | null) =>
    `${temporal.uiUrl}/namespaces/${encodeURIComponent(temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}${runId ? `/${runId}/history` : ''}`;

  const temporalRef = (workflowId: string, runId: string | null) => ({
    workflowId,
    runId,
    uiUrl: uiLink(workflowId, runId),
  });

  async function toolFilesInRequirementOrder(toolIds: ObjectId[]): Promise<ToolFile[]> {
    const tools = await stores.tools.findByIds(toolIds);
    return tools.sort((a, b) => a.requirement_index - b.requirement_index).map(toToolFile);
  }

  async function completedView(
    jobId: string,
    description: WorkflowExecutionDescription,
    session: SessionDocument | null,
  ) {
    const result = (await temporal.client.workflow.getHandle(jobId, description.runId).result()) as JobResult;
    return {
      status: 'completed' as const,
      updatedAt: description.closeTime ?? session?.updated_at ?? description.startTime,
      progress: {
        total: result.summary.totalRequested,
        completed: result.summary.successful,
        failed: result.summary.failed,
        inProgress: 0,
        currentTool: null,
      },
      toolFiles: await toolFilesInRequirementOrder(result.tools.map((tool) => new ObjectId(tool.toolId))),
      failures: result.failures.map((failure) => ({
        toolRequirement: failure.toolRequirement,
        error: failure.error,
        code: failure.code,
      })),
      summary: result.summary,
    };
  }

  async function failureOf(jobId: string, runId: string): Promise<{ code: string; message: string }> {
    try {
      await temporal.client.workflow.getHandle(jobId, runId).result();
    } catch (error) {
      const cause = error instanceof WorkflowFailedError ? error.cause : error;
      if (cause instanceof ApplicationFailure) {
        return { code: isErrorCode(cause.type) ? cause.type : 'INTERNAL_ERROR', message: cause.message };
      }
      return { code: 'INTERNAL_ERROR', message: (cause as Error)?.message ?? 'the job failed' };
    }
    return { code: 'INTERNAL_ERROR', message: 'the job failed' };
  }

  async function runningView(
    jobId: string,
    description: WorkflowExecutionDescription,
    session: SessionDocument | null,
  ) {
    const total = session?.tool_requirements.length ?? 0;
    if (description.historyLength <= UNSTARTED_HISTORY_LENGTH) {
      return { status: 'pending' as const, progress: session ? mirroredProgress(session) : emptyProgress(total) };
    }
    try {
      const view = await temporal.client.withDeadline(Date.now() + PROGRESS_QUERY_DEADLINE_MS, () =>
        temporal.client.workflow.getHandle(jobId, description.runId).query(progressQuery),
      );
      return { status: 'running' as const, progress: view.progress };
    } catch {
      // No worker answered in time (all busy or down): the mirror is at most one stage behind.
      return { status: 'running' as const, progress: session ? mirroredProgress(session) : emptyProgress(total) };
    }
  }

  async function liveJob(
    jobId: string,
    description: WorkflowExecutionDescription,
    session: SessionDocument | null,
  ): Promise<JobResponse> {
    return jobResponse(await liveJobFields(jobId, description, session));
  }

  async function liveJobFields(
    jobId: string,
    description: WorkflowExecutionDescription,
    session: SessionDocument | null,
  ): Promise<JobResponse> {
    const base = {
      jobId,
      createdAt: (session?.created_at ?? description.startTime).toISOString(),
      temporal: temporalRef(jobId, description.runId),
    };
    const lastChange = () => (description.closeTime ?? session?.updated_at ?? description.startTime).toISOString();
    const mirroredOrEmpty = () => (session ? mirroredProgress(session) : emptyProgress(0));
    switch (description.status.name) {
      case 'RUNNING': {
        const view = await runningView(jobId, description, session);
        return { ...base, ...view, updatedAt: lastChange() };
      }
      case 'COMPLETED': {
        const view = await completedView(jobId, description, session);
        return { ...base, ...view, updatedAt: view.updatedAt.toISOString() };
      }
      case 'FAILED':
        return {
          ...base,
          status: 'failed',
          updatedAt: lastChange(),
          progress: mirroredOrEmpty(),
          error: await failureOf(jobId, description.runId),
        };
      case 'TIMED_OUT':
        return {
          ...base,
          status: 'failed',
          updatedAt: lastChange(),
          progress: mirroredOrEmpty(),
          error: { code: 'GENERATION_TIMEOUT', message: 'The job ran past its deadline.' },
        };
      case 'CANCELLED':
        return { ...base, status: 'cancelled', updatedAt: lastChange(), progress: mirroredOrEmpty() };
      default:
        return {
          ...base,
          status: 'failed',
          updatedAt: lastChange(),
          progress: mirroredOrEmpty(),
          error: { code: 'INTERNAL_ERROR', message: `The workflow ended as ${description.status.name}.` },
        };
    }
  }

  async function mirroredJob(session: SessionDocument): Promise<JobResponse> {
    const finished = session.job_status === 'completed';
    return jobResponse({
      jobId: session.job_id,
      status: session.job_status,
      createdAt: session.created_at.toISOString(),
      updatedAt: session.updated_at.toISOString(),
      progress: mirroredProgress(session),
      ...(finished
        ? {
            toolFiles: await toolFilesInRequirementOrder(session.tool_ids),
            failures: session.failures.map((failure) => ({
              toolRequirement: failure.tool_requirement,
              error: failure.error,
              code: failure.code,
            })),
            summary: {
              totalRequested: session.progress.total,
              successful: session.progress.completed,
              failed: session.progress.failed,
            },
          }
        : {}),
      ...(session.error ? { error: session.error } : {}),
      temporal: temporalRef(session.job_id, null),
    });
  }

  return {
    async startJob(request: ToolGenerationRequest): Promise<JobResponse> {
      const jobId = newJobId();
      const requestedAt = new Date().toISOString();
      const clientId = request.metadata?.clientId ?? null;
      const input: JobInput = {
        jobId,
        sessionId: new ObjectId().toHexString(),
        requirements: request.toolRequirements,
        clientId,
        clientSessionId: request.metadata?.sessionId ?? null,
        requestedAt,
        settings: generation,
      };
      let runId: string;
      try {
        const handle = await temporal.client.workflow.start(toolGenerationJob, {
          taskQueue: temporal.taskQueue,
          workflowId: jobId,
          args: [input],
          typedSearchAttributes: [
            { key: jobStatusKey, value: 'pending' },
            { key: toolCountKey, value: input.requirements.length },
            ...(clientId ? [{ key: clientIdKey, value: clientId }] : []),
          ],
        });
        runId = handle.firstExecutionRunId;
      } catch (error) {
        throw new HttpError(
          'SERVICE_UNAVAILABLE',
          `Could not start the job: Temporal is unreachable (${(error as Error).message}).`,
        );
      }
      return jobResponse({
        jobId,
        status: 'pending',
        createdAt: requestedAt,
        updatedAt: requestedAt,
        progress: emptyProgress(input.requirements.length),
        temporal: temporalRef(jobId, runId),
      });
    },

    async getJob(jobId: string): Promise<JobAnswer> {
      const session = await stores.sessions.findByJobId(jobId).catch(() => null);
      let description: WorkflowExecutionDescription;
      try {
        description = await temporal.client.workflow.getHandle(jobId).describe();
      } catch (error) {
        if (session) return { job: await mirroredJob(session), fromMirror: true };
        if (error instanceof WorkflowNotFoundError) {
          throw new HttpError('JOB_NOT_FOUND', `No job with id "${jobId}".`, 404, undefined, jobId);
        }
        throw new HttpError(
          'SERVICE_UNAVAILABLE',
          'Temporal is unreachable and this job has no mirrored state yet; try again shortly.',
          503,
          undefined,
          jobId,
        );
      }
      return { job: await liveJob(jobId, description, session), fromMirror: false };
    },
  };
}

export type JobService = ReturnType<typeof createJobService>;
