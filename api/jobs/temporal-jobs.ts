import { Client, WorkflowFailedError, type WorkflowExecutionDescription } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { isErrorCode, ServiceError } from '../../contract';
import { DEFAULT_TENANT } from '../../store/documents';
import { toolGenerationJob } from '../../workflows';
import { describeRequest } from '../../workflows/details';
import {
  eventsQuery,
  progressQuery,
  type JobEventsView,
  type JobInput,
  type JobResult,
} from '../../workflows/definitions';
import { clientIdKey, jobStatusKey, toolCountKey } from '../../workflows/search-attributes';
import type { JobError, JobProgress } from '../../contract';
import type { RunOutcome } from './job-views';

export const PROGRESS_QUERY_DEADLINE_MS = 3_000;
/** A run whose history holds only "started" and the first task has not been picked up by a worker yet. */
const UNSTARTED_HISTORY_LENGTH = 2;
/** A job whose workflow is still unknown this long after it was admitted never started (its API process died). */
const START_GRACE_MS = 60_000;

export interface TemporalJobSettings {
  client: Client;
  taskQueue: string;
}

/** The outcome of a start: `runId` is null when an idempotent start found the job already there. */
export interface StartedRun {
  runId: string | null;
}

export function jobNotFound(jobId: string): ServiceError {
  return new ServiceError('JOB_NOT_FOUND', `No job with id "${jobId}".`, { jobId });
}

function temporalUnreachable(jobId: string, what = 'Temporal is unreachable; try again shortly.'): ServiceError {
  return new ServiceError('SERVICE_UNAVAILABLE', what, { jobId, retryable: true });
}

/** The memo every run is started with; runs started before tenants existed have none: the default tenant's. */
function ownerOf(description: WorkflowExecutionDescription): string {
  const tenant = description.memo?.tenantId;
  return typeof tenant === 'string' ? tenant : DEFAULT_TENANT;
}

/**
 * Everything the API asks Temporal about jobs. A job belongs to the tenant in its run's memo, and
 * another tenant's job is JOB_NOT_FOUND exactly as an unknown one is.
 */
export function createTemporalJobs({ client, taskQueue }: TemporalJobSettings) {
  const handle = (jobId: string, runId?: string) => client.workflow.getHandle(jobId, runId);

  async function failureOf(jobId: string, runId: string): Promise<JobError> {
    try {
      await handle(jobId, runId).result();
    } catch (error) {
      const cause = error instanceof WorkflowFailedError ? error.cause : error;
      if (cause instanceof ApplicationFailure) {
        return { code: isErrorCode(cause.type) ? cause.type : 'INTERNAL_ERROR', message: cause.message };
      }
      return { code: 'INTERNAL_ERROR', message: (cause as Error)?.message ?? 'the job failed' };
    }
    return { code: 'INTERNAL_ERROR', message: 'the job failed' };
  }

  async function progressOf(jobId: string, runId: string): Promise<JobProgress | null> {
    try {
      const view = await client.withDeadline(Date.now() + PROGRESS_QUERY_DEADLINE_MS, () =>
        handle(jobId, runId).query(progressQuery),
      );
      return view.progress;
    } catch {
      return null;
    }
  }

  const temporalJobs = {
    /**
     * Starts a run of the job workflow; a retry is a new run under the same workflow id. An
     * `idempotent` start (a submission under an Idempotency-Key) makes at most one workflow of
     * the id whoever calls it how often: a running one is used as it is, an ended one refused
     * (and reported as already there), so no two API processes can start the job twice.
     */
    async start(input: JobInput, options: { idempotent: boolean }): Promise<StartedRun> {
      const { summary, details } = describeRequest(input.requirements, input.clientId);
      try {
        const started = await client.workflow.start(toolGenerationJob, {
          taskQueue,
          workflowId: input.jobId,
          args: [input],
          memo: { tenantId: input.tenantId ?? DEFAULT_TENANT },
          ...(options.idempotent
            ? { workflowIdConflictPolicy: 'USE_EXISTING', workflowIdReusePolicy: 'REJECT_DUPLICATE' }
            : {}),
          staticSummary: input.previousRun ? `retry ${input.previousRun.runNumber}: ${summary}` : summary,
          staticDetails: details,
          typedSearchAttributes: [
            { key: jobStatusKey, value: 'pending' },
            { key: toolCountKey, value: input.requirements.length },
            ...(input.clientId ? [{ key: clientIdKey, value: input.clientId }] : []),
          ],
        });
        return { runId: started.firstExecutionRunId };
      } catch (error) {
        if (options.idempotent && error instanceof WorkflowExecutionAlreadyStartedError) return { runId: null };
        throw temporalUnreachable(
          input.jobId,
          `Could not start the job: Temporal is unreachable (${(error as Error).message}).`,
        );
      }
    },

    /** The job's latest run, or null when Temporal knows no such job; throws when it cannot be asked. */
    async describe(jobId: string): Promise<WorkflowExecutionDescription | null> {
      try {
        return await handle(jobId).describe();
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return null;
        throw temporalUnreachable(jobId);
      }
    },

    /** The tenant's job's latest run: unknown or another tenant's → JOB_NOT_FOUND, Temporal down → SERVICE_UNAVAILABLE. */
    async describeOwned(tenant: string, jobId: string): Promise<WorkflowExecutionDescription> {
      const description = await temporalJobs.describe(jobId);
      if (!description || !temporalJobs.isOwnedBy(description, tenant)) throw jobNotFound(jobId);
      return description;
    },

    isOwnedBy(description: WorkflowExecutionDescription, tenant: string): boolean {
      return ownerOf(description) === tenant;
    },

    /** What became of the run, asking Temporal what the description alone cannot say. */
    async outcomeOf(description: WorkflowExecutionDescription): Promise<RunOutcome> {
      const { workflowId: jobId, runId } = description;
      switch (description.status.name) {
        case 'RUNNING':
          return description.historyLength <= UNSTARTED_HISTORY_LENGTH
            ? { kind: 'pending' }
            : { kind: 'running', progress: await progressOf(jobId, runId) };
        case 'COMPLETED':
          return { kind: 'completed', result: (await handle(jobId, runId).result()) as JobResult };
        case 'FAILED':
          return { kind: 'failed', error: await failureOf(jobId, runId) };
        case 'TIMED_OUT':
          return { kind: 'failed', error: { code: 'GENERATION_TIMEOUT', message: 'The job ran past its deadline.' } };
        case 'CANCELLED':
          return { kind: 'cancelled' };
        default:
          return {
            kind: 'failed',
            error: { code: 'INTERNAL_ERROR', message: `The workflow ended as ${description.status.name}.` },
          };
      }
    },

    /** The run's tool events after `afterSeq`, or null when no worker answered the query in time. */
    async eventsSince(description: WorkflowExecutionDescription, afterSeq: number): Promise<JobEventsView | null> {
      try {
        return await client.withDeadline(Date.now() + PROGRESS_QUERY_DEADLINE_MS, () =>
          handle(description.workflowId, description.runId).query(eventsQuery, afterSeq),
        );
      } catch {
        return null;
      }
    },

    async cancel(description: WorkflowExecutionDescription): Promise<void> {
      await handle(description.workflowId, description.runId).cancel();
    },

    /**
     * For the running-jobs limit: whether a job no longer runs. Unknown: only once a start would
     * have happened; unanswerable: treated as running, so an outage never lets extra jobs in.
     */
    async hasEnded(jobId: string, admittedAt: Date): Promise<boolean> {
      try {
        const description = await temporalJobs.describe(jobId);
        if (description) return description.status.name !== 'RUNNING';
        return Date.now() - admittedAt.getTime() > START_GRACE_MS;
      } catch {
        return false;
      }
    },
  };
  return temporalJobs;
}

export type TemporalJobs = ReturnType<typeof createTemporalJobs>;
