import { endedJobStatuses, type JobResponse, type JobStatus } from '../contract';
import { CliError, type ToolsmithApi } from './api-client';
import { readServerSentEvents } from '../contract/event-stream';
import type { ToolStage } from '../workflows/definitions';

export type { ToolStage } from '../workflows/definitions';

/** The data of an `event: stage` on the job's events stream. */
export interface StageEvent {
  jobId: string;
  requirementIndex: number;
  toolName: string | null;
  stage: ToolStage;
  attempts: number;
}

/** Who is told about progress while a job is followed (the progress view). */
export interface JobObserver {
  /** a tool changed stage (events stream) */
  onStage(event: StageEvent): void;
  /** a fresh job answer (polling, when there is no events stream) */
  onSnapshot(job: JobResponse): void;
  /** something the person should know that is not progress (reconnects, fallback) */
  onNotice(message: string): void;
}

export interface FollowOptions {
  pollIntervalMs?: number;
  /** the stream is reopened (with Last-Event-ID) when it has been silent this long */
  idleReconnectMs?: number;
  /** consecutive failed (re)connections before giving up on events and polling instead */
  maxReconnectAttempts?: number;
}

export function isFinished(status: JobStatus): boolean {
  return (endedJobStatuses as readonly JobStatus[]).includes(status);
}

/** A 404/405/501 on the events URL means this API has no events stream: polling still works. */
function meansNoEventsEndpoint(error: unknown): boolean {
  const status = error instanceof CliError ? error.extras.httpStatus : undefined;
  return status === 404 || status === 405 || status === 501;
}

function parseEventData<T>(data: string): T | undefined {
  try {
    return JSON.parse(data) as T;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads the job's events until the final `job` event. Returns false when the API has no events
 * stream, or when it kept dropping, so the caller can poll instead. Reconnects with Last-Event-ID
 * so a dropped stream resumes where it stopped instead of replaying or losing stages.
 */
async function followEventStream(
  api: ToolsmithApi,
  jobId: string,
  observer: JobObserver,
  options: Required<FollowOptions>,
): Promise<boolean> {
  let lastEventId: string | undefined;
  let failedAttempts = 0;
  for (;;) {
    const connection = new AbortController();
    let idleTimer: NodeJS.Timeout | undefined;
    const resetIdleTimer = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => connection.abort(), options.idleReconnectMs);
    };
    let sawEvent = false;
    try {
      resetIdleTimer();
      const response = await api.openJobEvents(jobId, { lastEventId, signal: connection.signal });
      for await (const event of readServerSentEvents(response.body!)) {
        resetIdleTimer();
        sawEvent = true;
        if (event.id !== undefined) lastEventId = event.id;
        if (event.event === 'stage') {
          const stage = parseEventData<StageEvent>(event.data);
          if (stage) observer.onStage(stage);
          else observer.onNotice(`Ignored a stage event that is not JSON: ${event.data.slice(0, 200)}`);
        }
        if (event.event === 'job') return true;
      }
      // The server closed the stream before the job ended (a restart, a proxy time-out): resume.
    } catch (error) {
      if (meansNoEventsEndpoint(error)) return false;
      // JOB_NOT_FOUND and the like are final answers, not a dropped connection.
      const httpStatus = error instanceof CliError ? error.extras.httpStatus : undefined;
      if (httpStatus !== undefined && httpStatus < 500 && httpStatus !== 429) throw error;
    } finally {
      clearTimeout(idleTimer);
      connection.abort();
    }
    failedAttempts = sawEvent ? 0 : failedAttempts + 1;
    if (failedAttempts > options.maxReconnectAttempts) {
      observer.onNotice('The events stream keeps dropping; following the job by polling instead.');
      return false;
    }
    if (failedAttempts > 0) {
      observer.onNotice(`The events stream dropped; reconnecting (attempt ${failedAttempts}).`);
      await sleep(Math.min(500 * 2 ** (failedAttempts - 1), 5_000));
    }
  }
}

/** Polls GET /jobs/{id} until the job has ended; each answer goes to the observer. */
async function pollUntilFinished(
  api: ToolsmithApi,
  jobId: string,
  observer: JobObserver,
  intervalMs: number,
): Promise<JobResponse> {
  for (;;) {
    const job = await api.getJob(jobId);
    observer.onSnapshot(job);
    if (isFinished(job.status)) return job;
    await sleep(intervalMs);
  }
}

/**
 * Follows a job to its end, live from the events stream when the API has one, else by polling,
 * and returns the final job answer (the events stream's last event lacks tool files and failures).
 */
export async function followJob(
  api: ToolsmithApi,
  jobId: string,
  observer: JobObserver,
  options: FollowOptions = {},
): Promise<JobResponse> {
  const settings: Required<FollowOptions> = {
    pollIntervalMs: options.pollIntervalMs ?? 1_000,
    idleReconnectMs: options.idleReconnectMs ?? 60_000,
    maxReconnectAttempts: options.maxReconnectAttempts ?? 5,
  };
  await followEventStream(api, jobId, observer, settings);
  // After the stream's end the job answer may lag a moment behind: polling covers both cases.
  return pollUntilFinished(api, jobId, observer, settings.pollIntervalMs);
}
