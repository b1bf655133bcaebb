/**
 * Follows a job's Server-Sent Events. EventSource cannot send the API key, so the stream is read
 * with fetch (and the CLI's event parser). A dropped stream is reopened with Last-Event-ID, which
 * resumes exactly after the last event seen; one that keeps dropping is given up on, and the
 * caller polls instead.
 */
import { readServerSentEvents } from '../contract/event-stream';
import { isAbort, type ApiClient } from './api';
import { ApiError } from './lib/api-errors';
import type { JobEndEvent, JobStageEvent } from './lib/api-types';

export interface JobEventHandlers {
  onStage(event: JobStageEvent): void;
  onEnd(event: JobEndEvent): void;
  /** the stream dropped and is being reopened (null: it is flowing again) */
  onInterruption(message: string | null): void;
}

const MAX_CONSECUTIVE_FAILURES = 5;
const RECONNECT_DELAY_MS = 1_000;

async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** Waits `ms`, or less if the signal fires first. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/**
 * Resolves `ended` after the final `job` event, `gave-up` when the stream kept failing, `aborted`
 * when the signal fired. An answer the API refuses (404, 401) is thrown: there is nothing to retry.
 */
export async function followJobEvents(
  api: ApiClient,
  jobId: string,
  handlers: JobEventHandlers,
  signal: AbortSignal,
): Promise<'ended' | 'gave-up' | 'aborted'> {
  let lastEventId: string | undefined;
  let failures = 0;
  while (!signal.aborted) {
    try {
      const response = await api.openJobEvents(jobId, lastEventId, signal);
      if (failures > 0) handlers.onInterruption(null);
      failures = 0;
      for await (const event of readServerSentEvents(chunksOf(response.body!))) {
        lastEventId = event.id;
        if (event.event === 'stage') handlers.onStage(JSON.parse(event.data) as JobStageEvent);
        if (event.event === 'job') {
          handlers.onEnd(JSON.parse(event.data) as JobEndEvent);
          return 'ended';
        }
      }
      failures += 1; // closed before the end: reopen it
    } catch (error) {
      if (isAbort(error) || signal.aborted) return 'aborted';
      if (error instanceof ApiError && error.status !== 0 && error.status < 500) throw error;
      failures += 1;
    }
    if (failures >= MAX_CONSECUTIVE_FAILURES) return 'gave-up';
    handlers.onInterruption('The live updates were interrupted; reconnecting…');
    await pause(RECONNECT_DELAY_MS, signal);
  }
  return 'aborted';
}
