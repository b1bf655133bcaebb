/**
 * The page's one way to the API: same origin, every request carrying the key, every failure an
 * ApiError with the API's own sentence (and its field problems), never a bare rejection.
 */
import { ApiError, fieldProblemsOf } from './lib/api-errors';
import type { ErrorResponse } from './lib/api-types';

export const API_BASE = '/api/v1';

export interface ApiClient {
  get<T>(path: string, signal?: AbortSignal): Promise<T>;
  post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T>;
  /** the job's event stream, open; its body is the text/event-stream */
  openJobEvents(jobId: string, lastEventId: string | undefined, signal: AbortSignal): Promise<Response>;
}

export const isAbort = (error: unknown): boolean => error instanceof DOMException && error.name === 'AbortError';

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let answer: Partial<ErrorResponse> | undefined;
  try {
    answer = JSON.parse(text) as Partial<ErrorResponse>;
  } catch {
    // not the API's ErrorResponse (a proxy's page?): say what came back
  }
  if (typeof answer?.error === 'string') {
    return new ApiError(
      answer.error,
      response.status,
      answer.code ?? `HTTP_${response.status}`,
      fieldProblemsOf(answer.details),
      answer.requestId,
    );
  }
  const shown = text.trim().slice(0, 200);
  return new ApiError(
    `The API answered ${response.status} ${response.statusText}${shown ? `: ${shown}` : ''}.`,
    response.status,
    `HTTP_${response.status}`,
  );
}

/**
 * A client sending `apiKey`. A 401 (a key that is wrong or has been revoked since) is also handed
 * to `onUnauthorized`, so the page can ask for another key whichever request found out.
 */
export function createApiClient(apiKey: string, onUnauthorized: (error: ApiError) => void): ApiClient {
  async function send(path: string, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${API_BASE}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${apiKey}`, ...init.headers },
      });
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new ApiError(`The API cannot be reached (${(error as Error).message}).`, 0, 'NETWORK_ERROR');
    }
    if (response.ok) return response;
    const error = await errorOf(response);
    if (response.status === 401) onUnauthorized(error);
    throw error;
  }

  return {
    async get<T>(path: string, signal?: AbortSignal) {
      return (await (await send(path, { signal })).json()) as T;
    },
    async post<T>(path: string, body: unknown, signal?: AbortSignal) {
      const response = await send(path, {
        method: 'POST',
        signal,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return (await response.json()) as T;
    },
    openJobEvents(jobId, lastEventId, signal) {
      return send(`/jobs/${encodeURIComponent(jobId)}/events`, {
        signal,
        headers: { accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
      });
    },
  };
}

/** A query string of the values that are set: `?status=failed&limit=20`. */
export function queryOf(values: Record<string, string | number | null | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}
