import type { WorkflowExecutionDescription } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { ObjectId } from 'mongodb';
import { isModelAllowed, type Config } from '../../config';
import { invalidFields, ServiceError } from '../../contract';
import { maxGatewayCallMs } from '../../llm/limits';
import type { Stores } from '../../store';
import type { SessionDocument } from '../../store/documents';
import { newJobIds } from '../../store/ids';
import type { GenerationSettings, JobEventsView, JobInput } from '../../workflows/definitions';
import type { JobResponse, ToolGenerationRequest } from '../../contract';
import { registeredToolFiles } from './job-tool-files';
import { latestPerRequirement, liveJobView, startedJobView, temporalRef, type TemporalLinkSettings } from './job-views';
import { createEndedJobCache } from './ended-job-cache';
import { createMirrorFallback } from './mirror-fallback';
import { requestFingerprint } from './request-fingerprint';
import { jobNotFound, type StartedRun, type TemporalJobs } from './temporal-jobs';

export interface JobAnswer {
  job: JobResponse;
  /** true when Temporal could not be asked and the answer comes from the MongoDB mirror */
  fromMirror: boolean;
}

export interface Submission extends JobAnswer {
  /** false when an Idempotency-Key named a job an earlier request made */
  created: boolean;
}

/** The per-client limit on jobs running at once (api/rate-limits.ts). */
export interface JobAdmission {
  /** takes one of the tenant's running-job places for the job, or throws RATE_LIMIT_EXCEEDED */
  admit(tenant: string, jobId: string): Promise<void>;
  release(tenant: string, jobId: string): Promise<void>;
}

export interface JobServiceDependencies {
  temporal: TemporalJobs;
  stores: Pick<Stores, 'sessions' | 'tools' | 'jobSubmissions'>;
  links: TemporalLinkSettings;
  generation: GenerationSettings;
  admission: JobAdmission;
  /**
   * What the API reads of the model settings: the models a job's `options.model` may name, and the
   * request timeout its LLM activities' timeout derives from. Absent: any model, and the workflow's
   * fixed LLM timeout.
   */
  llm?: JobLlmSettings;
}

export type JobLlmSettings = Pick<Config['llm'], 'requestTimeoutMs' | 'allowedModels'>;

/**
 * The settings a job runs with: the generation settings, and its LLM activities' start-to-close
 * timeout, the longest one gateway call can take (every HTTP call it may make at LLM_REQUEST_TIMEOUT_MS).
 */
export function jobSettings(generation: GenerationSettings, llm?: JobLlmSettings): GenerationSettings {
  return llm ? { ...generation, llmCallTimeoutMs: maxGatewayCallMs(llm.requestTimeoutMs) } : generation;
}

/** A job's `options.model` must be one LLM_ALLOWED_MODELS lists, when it lists any. */
export function checkModelOption(request: ToolGenerationRequest, llm?: JobLlmSettings): void {
  const model = request.options?.model;
  if (model === undefined || !llm || isModelAllowed(llm, model)) return;
  throw invalidFields([
    { field: 'options.model', message: `must be one of the allowed models: ${(llm.allowedModels ?? []).join(', ')}` },
  ]);
}

const RETRY_MIRROR_WAIT_MS = 5_000;
const RETRY_MIRROR_POLL_MS = 25;

/** What a job is started with, apart from the ids and the time, which a submission fixes. */
function newJobInput(
  tenant: string,
  request: ToolGenerationRequest,
  fixed: Pick<JobInput, 'jobId' | 'sessionId' | 'requestedAt' | 'settings'>,
): JobInput {
  return {
    ...fixed,
    tenantId: tenant,
    options: {
      reuse: request.options?.reuse ?? true,
      ...(request.options?.model === undefined ? {} : { model: request.options.model }),
    },
    requirements: request.toolRequirements,
    clientId: request.metadata?.clientId ?? null,
    clientSessionId: request.metadata?.sessionId ?? null,
    previousRun: null,
  };
}

/** Jobs for the API's routes: Temporal first, the MongoDB mirror when Temporal cannot answer. */
export function createJobService({ temporal, stores, links, generation, admission, llm }: JobServiceDependencies) {
  const settings = jobSettings(generation, llm);
  const mirror = createMirrorFallback(stores.sessions, stores.tools, links);
  const endedJobs = createEndedJobCache();

  async function liveJob(description: WorkflowExecutionDescription, session: SessionDocument | null) {
    const outcome = await temporal.outcomeOf(description);
    const toolFiles =
      outcome.kind === 'completed'
        ? await registeredToolFiles(
            stores.tools,
            outcome.result.tools.map((tool) => new ObjectId(tool.toolId)),
          )
        : [];
    return liveJobView(
      description,
      session,
      outcome,
      toolFiles,
      temporalRef(links, description.workflowId, description.runId),
    );
  }

  /**
   * Until the new run's first mirror write replaces the ended run's final state, GET would answer
   * that state from the mirror: a client polling after its retry must not see the old run's end.
   * Bounded, for a run no worker picks up; GET then shows the old end until one does.
   */
  async function untilRunMirrored(tenant: string, jobId: string, runNumber: number): Promise<void> {
    const deadline = Date.now() + RETRY_MIRROR_WAIT_MS;
    while (Date.now() < deadline) {
      const session = await stores.sessions.findByJobId(tenant, jobId);
      if (session && session.run_number >= runNumber) return;
      await sleep(RETRY_MIRROR_POLL_MS);
    }
  }

  /**
   * Temporal's view of the job, once a run that has finished its work is closed too: a run's final
   * mirror write (which GET answers from) lands just before Temporal records the run's end, so a
   * client that retries the moment it sees the job ended must not be told it is still running.
   */
  async function describeSettled(tenant: string, jobId: string) {
    const deadline = Date.now() + RETRY_MIRROR_WAIT_MS;
    for (;;) {
      const description = await temporal.describeOwned(tenant, jobId);
      if (description.status.name !== 'RUNNING' || Date.now() >= deadline) return description;
      const session = await mirror.sessionOf(tenant, jobId);
      const finishing = session && mirror.holdsFinalState(session) && session.run_id === description.runId;
      if (!finishing) return description;
      await sleep(RETRY_MIRROR_POLL_MS);
    }
  }

  /** The job's answer from the mirror alone, when it holds the final state of a run. */
  async function mirroredEnd(tenant: string, jobId: string): Promise<JobResponse | null> {
    const session = await mirror.sessionOf(tenant, jobId);
    return session && mirror.holdsFinalState(session) ? mirror.answer(session) : null;
  }

  /** Takes a running-job place, then starts the run; the place is given back when the start fails. */
  async function admitAndStart(input: JobInput, tenant: string, idempotent: boolean): Promise<StartedRun> {
    await admission.admit(tenant, input.jobId);
    try {
      return await temporal.start(input, { idempotent });
    } catch (error) {
      await admission.release(tenant, input.jobId).catch(() => undefined);
      throw error;
    }
  }

  async function started(tenant: string, input: JobInput, run: StartedRun): Promise<Submission> {
    if (run.runId === null) return { ...(await service.getJob(tenant, input.jobId)), created: false };
    return { job: startedJobView(input, temporalRef(links, input.jobId, run.runId)), fromMirror: false, created: true };
  }

  /**
   * The same key from the same tenant names one job: its ids come from the submission record that
   * the first request inserted (insert-once under a unique index), and its workflow is started
   * idempotently, so concurrent requests on any number of API processes make one workflow.
   */
  async function submitIdempotently(
    tenant: string,
    request: ToolGenerationRequest,
    idempotencyKey: string,
  ): Promise<Submission> {
    const fingerprint = requestFingerprint(request);
    const { submission, first } = await stores.jobSubmissions.claim(tenant, idempotencyKey, fingerprint);
    if (submission.body_hash !== fingerprint) {
      throw new ServiceError(
        'INVALID_REQUEST',
        `This Idempotency-Key was already used with a different request (job "${submission.job_id}") in the ` +
          'last 24 hours; send the same request to get that job, or use a new key for a new job.',
        { conflict: true, jobId: submission.job_id },
      );
    }
    const input = newJobInput(tenant, request, {
      jobId: submission.job_id,
      sessionId: submission.session_id.toHexString(),
      requestedAt: submission.created_at.toISOString(),
      settings,
    });
    if (!first) {
      // The first request may have died between its record and its start: starting again is a no-op otherwise.
      await temporal.start(input, { idempotent: true });
      return { ...(await service.getJob(tenant, input.jobId)), created: false };
    }
    try {
      return await started(tenant, input, await admitAndStart(input, tenant, true));
    } catch (error) {
      // Nothing was started: the key is free for the client's retry.
      await stores.jobSubmissions.release(submission).catch(() => undefined);
      throw error;
    }
  }

  const service = {
    async submitJob(tenant: string, request: ToolGenerationRequest, idempotencyKey?: string): Promise<Submission> {
      checkModelOption(request, llm);
      if (idempotencyKey !== undefined) return submitIdempotently(tenant, request, idempotencyKey);
      const { jobId, sessionId } = newJobIds();
      const input = newJobInput(tenant, request, {
        jobId,
        sessionId: sessionId.toHexString(),
        requestedAt: new Date().toISOString(),
        settings,
      });
      return started(tenant, input, await admitAndStart(input, tenant, false));
    },

    /** Requests cancellation; the workflow stops its activities and ends `cancelled` moments later. */
    async cancelJob(tenant: string, jobId: string): Promise<JobResponse> {
      const description = await temporal.describeOwned(tenant, jobId);
      if (description.status.name !== 'RUNNING') {
        throw new ServiceError(
          'JOB_ALREADY_COMPLETED',
          `Job "${jobId}" has already ended (${description.status.name.toLowerCase()}); there is nothing to cancel.`,
          { jobId },
        );
      }
      await temporal.cancel(description);
      return (await service.getJob(tenant, jobId)).job;
    },

    /**
     * Re-runs an ended job as a new run of the same workflow id, carrying over every tool an
     * earlier run registered, so only the failed (or unfinished) requirements are generated again.
     */
    async retryJob(tenant: string, jobId: string): Promise<JobResponse> {
      const description = await describeSettled(tenant, jobId);
      if (description.status.name === 'RUNNING') {
        throw new ServiceError(
          'INVALID_REQUEST',
          `Job "${jobId}" is still running; cancel it or wait for it to end before retrying.`,
          { conflict: true, jobId },
        );
      }
      const session = await stores.sessions.findByJobId(tenant, jobId);
      if (!session) {
        throw new ServiceError(
          'SERVICE_UNAVAILABLE',
          `Job "${jobId}" has no mirrored session to retry from yet; try again shortly.`,
          { jobId, retryable: true },
        );
      }
      const keptTools = latestPerRequirement(await stores.tools.findRegisteredByJob(jobId));
      if (keptTools.length === session.tool_requirements.length) {
        throw new ServiceError(
          'JOB_ALREADY_COMPLETED',
          `Every tool of job "${jobId}" was generated; there is nothing to retry.`,
          {
            jobId,
          },
        );
      }
      const input: JobInput = {
        jobId,
        tenantId: tenant,
        options: {
          reuse: session.reuse_tools ?? true,
          ...(session.model === undefined ? {} : { model: session.model }),
        },
        sessionId: session._id.toHexString(),
        requirements: session.tool_requirements,
        clientId: session.user_id,
        clientSessionId: session.client_session_id,
        requestedAt: session.created_at.toISOString(),
        settings,
        previousRun: { runNumber: (session.run_number ?? 0) + 1, keptTools },
      };
      const answer = await started(tenant, input, await admitAndStart(input, tenant, false));
      endedJobs.forget(tenant, jobId);
      await untilRunMirrored(tenant, jobId, input.previousRun!.runNumber);
      endedJobs.forget(tenant, jobId);
      return answer.job;
    },

    /**
     * The run's tool events after `afterSeq`, or a null view when no worker answered the query in
     * time. `ended` says the run is over, so a stream can send its final event and close.
     */
    async eventsSince(
      tenant: string,
      jobId: string,
      afterSeq: number,
    ): Promise<{ view: JobEventsView | null; ended: boolean }> {
      const description = await temporal.describeOwned(tenant, jobId);
      return { view: await temporal.eventsSince(description, afterSeq), ended: description.status.name !== 'RUNNING' };
    },

    /**
     * The tenant's job from its live workflow, or from its mirrored session when Temporal cannot
     * be asked (or no longer knows it). Another tenant's job is not found either way.
     */
    async getJob(tenant: string, jobId: string): Promise<JobAnswer> {
      const remembered = endedJobs.get(tenant, jobId, () => mirroredEnd(tenant, jobId));
      if (remembered) return { job: remembered, fromMirror: true };
      const session = await mirror.sessionOf(tenant, jobId);
      // A run's final mirror write is its last act, so Temporal would say nothing more.
      if (session && mirror.holdsFinalState(session)) {
        const job = await mirror.answer(session);
        endedJobs.remember(tenant, jobId, job);
        return { job, fromMirror: true };
      }
      let description: WorkflowExecutionDescription | null;
      try {
        description = await temporal.describe(jobId);
      } catch {
        if (session) return { job: await mirror.answer(session), fromMirror: true };
        throw new ServiceError(
          'SERVICE_UNAVAILABLE',
          'Temporal is unreachable and this job has no mirrored state yet; try again shortly.',
          { jobId, retryable: true },
        );
      }
      if (!description) {
        if (session) return { job: await mirror.answer(session), fromMirror: true };
        throw jobNotFound(jobId);
      }
      if (!temporal.isOwnedBy(description, tenant)) throw jobNotFound(jobId);
      return { job: await liveJob(description, session), fromMirror: false };
    },
  };
  return service;
}

export type JobService = ReturnType<typeof createJobService>;
