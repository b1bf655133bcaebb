import { Client, WorkflowFailedError, type WorkflowExecutionDescription } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { ObjectId } from 'mongodb';
import { isErrorCode } from '../errors';
import type { Stores } from '../store';
import { DEFAULT_TENANT, type SessionDocument, type ToolDocument } from '../store/documents';
import { toolGenerationJob } from '../workflows';
import { describeRequest } from '../workflows/details';
import {
  eventsQuery,
  progressQuery,
  type GeneratedToolRef,
  type GenerationSettings,
  type JobEventsView,
  type JobInput,
  type JobResult,
} from '../workflows/definitions';
import { clientIdKey, jobStatusKey, toolCountKey } from '../workflows/search-attributes';
import type { JobProgress, JobResponse, ToolFile, ToolGenerationRequest } from './contract';
import { HttpError } from './http-errors';
import { temporalUiLink } from './temporal-links';

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

/** One registered tool per requirement index: the newest, should several runs have made one. */
function latestPerRequirement(tools: ToolDocument[]): GeneratedToolRef[] {
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
  const temporalRef = (workflowId: string, runId: string | null) => ({
    workflowId,
    runId,
    uiUrl: temporalUiLink(temporal.uiUrl, temporal.namespace, workflowId, runId),
  });

  /** The registered ones of the given tools, in the order given (a reused tool comes from another job). */
  async function registeredToolFiles(toolIds: ObjectId[]): Promise<ToolFile[]> {
    const found = new Map((await stores.tools.findByIds(toolIds)).map((tool) => [tool._id.toHexString(), tool]));
    return toolIds
      .map((id) => found.get(id.toHexString()))
      .filter((tool): tool is ToolDocument => tool?.status === 'registered')
      .map(toToolFile);
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
      toolFiles: await registeredToolFiles(result.tools.map((tool) => new ObjectId(tool.toolId))),
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
            toolFiles: await registeredToolFiles(session.tool_ids),
            failures: session.failures.map((failure) => ({
              toolRequirement: failure.tool_requirement,
              error: failure.error,
              code: failure.code,
            })),
            summary: {
              totalRequested: session.progress.total,
              successful: session.progress.completed,
              failed: session.progress.failed,
              reused: (session.tool_progress ?? []).filter((tool) => tool.reused).length,
            },
          }
        : {}),
      ...(session.error ? { error: session.error } : {}),
      temporal: temporalRef(session.job_id, null),
    });
  }

  /** Starts a run of the job workflow; a retry is a new run under the same workflow id. */
  async function startRun(input: JobInput): Promise<string> {
    const { summary, details } = describeRequest(input.requirements, input.clientId);
    try {
      const handle = await temporal.client.workflow.start(toolGenerationJob, {
        taskQueue: temporal.taskQueue,
        workflowId: input.jobId,
        args: [input],
        staticSummary: input.previousRun ? `retry ${input.previousRun.runNumber}: ${summary}` : summary,
        staticDetails: details,
        typedSearchAttributes: [
          { key: jobStatusKey, value: 'pending' },
          { key: toolCountKey, value: input.requirements.length },
          ...(input.clientId ? [{ key: clientIdKey, value: input.clientId }] : []),
        ],
      });
      return handle.firstExecutionRunId;
    } catch (error) {
      throw new HttpError(
        'SERVICE_UNAVAILABLE',
        `Could not start the job: Temporal is unreachable (${(error as Error).message}).`,
      );
    }
  }

  /** Describes the job's latest run; unknown → 404, Temporal down → 503. */
  async function describeJob(jobId: string): Promise<WorkflowExecutionDescription> {
    try {
      return await temporal.client.workflow.getHandle(jobId).describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        throw new HttpError('JOB_NOT_FOUND', `No job with id "${jobId}".`, 404, undefined, jobId);
      }
      throw new HttpError('SERVICE_UNAVAILABLE', 'Temporal is unreachable; try again shortly.', 503, undefined, jobId);
    }
  }

  async function answerAfterStart(jobId: string, input: JobInput, runId: string): Promise<JobResponse> {
    const kept = input.previousRun?.keptTools.length ?? 0;
    return jobResponse({
      jobId,
      status: 'pending',
      createdAt: input.requestedAt,
      updatedAt: new Date().toISOString(),
      progress: { ...emptyProgress(input.requirements.length), completed: kept },
      temporal: temporalRef(jobId, runId),
    });
  }

  const service = {
    async startJob(tenant: string, request: ToolGenerationRequest): Promise<JobResponse> {
      const jobId = newJobId();
      const input: JobInput = {
        jobId,
        tenantId: tenant,
        options: { reuse: request.options?.reuse ?? true },
        sessionId: new ObjectId().toHexString(),
        requirements: request.toolRequirements,
        clientId: request.metadata?.clientId ?? null,
        clientSessionId: request.metadata?.sessionId ?? null,
        requestedAt: new Date().toISOString(),
        settings: generation,
        previousRun: null,
      };
      return answerAfterStart(jobId, input, await startRun(input));
    },

    /** Requests cancellation; the workflow stops its activities and ends `cancelled` moments later. */
    async cancelJob(jobId: string): Promise<JobResponse> {
      const description = await describeJob(jobId);
      if (description.status.name !== 'RUNNING') {
        throw new HttpError(
          'JOB_ALREADY_COMPLETED',
          `Job "${jobId}" has already ended (${description.status.name.toLowerCase()}); there is nothing to cancel.`,
          409,
          undefined,
          jobId,
        );
      }
      await temporal.client.workflow.getHandle(jobId, description.runId).cancel();
      return (await service.getJob(jobId)).job;
    },

    /**
     * Re-runs an ended job as a new run of the same workflow id, carrying over every tool an
     * earlier run registered, so only the failed (or unfinished) requirements are generated again.
     */
    async retryJob(jobId: string): Promise<JobResponse> {
      const description = await describeJob(jobId);
      if (description.status.name === 'RUNNING') {
        throw new HttpError(
          'INVALID_REQUEST',
          `Job "${jobId}" is still running; cancel it or wait for it to end before retrying.`,
          409,
          undefined,
          jobId,
        );
      }
      const session = await stores.sessions.findByJobId(jobId);
      if (!session) {
        throw new HttpError(
          'SERVICE_UNAVAILABLE',
          `Job "${jobId}" has no mirrored session to retry from yet; try again shortly.`,
          503,
          undefined,
          jobId,
        );
      }
      const keptTools = latestPerRequirement(await stores.tools.findRegisteredByJob(jobId));
      if (keptTools.length === session.tool_requirements.length) {
        throw new HttpError(
          'JOB_ALREADY_COMPLETED',
          `Every tool of job "${jobId}" was generated; there is nothing to retry.`,
          409,
          undefined,
          jobId,
        );
      }
      const input: JobInput = {
        jobId,
        tenantId: session.tenant_id ?? DEFAULT_TENANT,
        options: { reuse: session.reuse_tools ?? true },
        sessionId: session._id.toHexString(),
        requirements: session.tool_requirements,
        clientId: session.user_id,
        clientSessionId: session.client_session_id,
        requestedAt: session.created_at.toISOString(),
        settings: generation,
        previousRun: { runNumber: (session.run_number ?? 0) + 1, keptTools },
      };
      return answerAfterStart(jobId, input, await startRun(input));
    },

    /**
     * The run's tool events after `afterSeq`, or null when no worker answered the query in time.
     * `ended` says the run is over, so a stream can send its final event and close.
     */
    async eventsSince(jobId: string, afterSeq: number): Promise<{ view: JobEventsView | null; ended: boolean }> {
      const description = await describeJob(jobId);
      const ended = description.status.name !== 'RUNNING';
      try {
        const view = await temporal.client.withDeadline(Date.now() + PROGRESS_QUERY_DEADLINE_MS, () =>
          temporal.client.workflow.getHandle(jobId, description.runId).query(eventsQuery, afterSeq),
        );
        return { view, ended };
      } catch {
        return { view: null, ended };
      }
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
  return service;
}

export type JobService = ReturnType<typeof createJobService>;
