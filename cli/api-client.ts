import type { JobResponse, ToolGenerationRequest } from '../api/contract';

export const DEFAULT_API_URL = 'http://localhost:8000/api/v1';

/** Plain requests should answer quickly; a hung API must not hang the CLI. */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Every failure the CLI reports: a sentence a person can act on and a code, never a stack trace.
 * API errors keep the service's own `error` and `code`; failures of our own use codes the
 * contract does not define (CONNECTION_FAILED, INVALID_FILE, …) so a reader can tell them apart.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly extras: { httpStatus?: number; requestId?: string; details?: unknown } = {},
  ) {
    super(message);
  }
}

interface ErrorResponseBody {
  error: string;
  code: string;
  details?: unknown;
  requestId?: string;
}

function isErrorResponse(body: unknown): body is ErrorResponseBody {
  const candidate = body as Partial<ErrorResponseBody> | null;
  return typeof candidate?.error === 'string' && typeof candidate.code === 'string';
}

/** Turns any non-2xx answer into a CliError: the contract's ErrorResponse when there is one, else the bare status. */
async function errorFromResponse(response: Response): Promise<CliError> {
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // a proxy or a non-Toolsmith server: fall through to the bare status
  }
  if (isErrorResponse(body)) {
    return new CliError(body.error, body.code, {
      httpStatus: response.status,
      requestId: body.requestId,
      details: body.details,
    });
  }
  const reason = `${response.status} ${response.statusText}`.trim();
  return new CliError(`The API answered HTTP ${reason} without a Toolsmith error body.`, `HTTP_${response.status}`, {
    httpStatus: response.status,
  });
}

/** The error's innermost cause (Node's fetch hides ECONNREFUSED and friends behind "fetch failed"). */
function rootCauseMessage(error: unknown): string {
  let current = error as { cause?: unknown; message?: string; code?: string } | undefined;
  while (current?.cause) current = current.cause as typeof current;
  return current?.code ?? current?.message ?? String(error);
}

/** The HTTP API of a Toolsmith service, one method per endpoint the CLI uses. */
export class ToolsmithApi {
  readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  submitJob(request: ToolGenerationRequest): Promise<JobResponse> {
    return this.requestJson('POST', '/jobs', request);
  }

  getJob(jobId: string): Promise<JobResponse> {
    return this.requestJson('GET', jobPath(jobId));
  }

  cancelJob(jobId: string): Promise<JobResponse> {
    return this.requestJson('POST', `${jobPath(jobId)}/cancel`);
  }

  retryJob(jobId: string): Promise<JobResponse> {
    return this.requestJson('POST', `${jobPath(jobId)}/retry`);
  }

  /**
   * Opens the job's Server-Sent Events stream. Resolves with the streaming response once the
   * headers arrived; a non-2xx answer is thrown as a CliError carrying its HTTP status so the
   * caller can tell "no events endpoint" (404/405) from a real failure.
   */
  async openJobEvents(jobId: string, options: { lastEventId?: string; signal?: AbortSignal } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
    const response = await this.fetch(`${jobPath(jobId)}/events`, { method: 'GET', headers, signal: options.signal });
    if (!response.ok) throw await errorFromResponse(response);
    if (!response.body) throw new CliError('The events stream answered without a body.', 'EVENTS_UNAVAILABLE');
    return response;
  }

  private async requestJson<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetch(path, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (!response.ok) throw await errorFromResponse(response);
    const text = await response.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`The API answered ${method} ${path} with something that is not JSON.`, 'INVALID_RESPONSE', {
        httpStatus: response.status,
      });
    }
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, init);
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'AbortError') throw error; // the caller gave up on purpose (events reconnect): not an API failure
      if (name === 'TimeoutError') {
        throw new CliError(
          `The Toolsmith API at ${this.baseUrl} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s.`,
          'CONNECTION_FAILED',
        );
      }
      throw new CliError(
        `Cannot reach the Toolsmith API at ${this.baseUrl} (${rootCauseMessage(error)}). ` +
          'Is the service running (npm start)? Point the CLI elsewhere with --api <url> or TOOLSMITH_API_URL.',
        'CONNECTION_FAILED',
      );
    }
  }
}

function jobPath(jobId: string): string {
  return `/jobs/${encodeURIComponent(jobId)}`;
}
