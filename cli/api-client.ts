import type { z } from 'zod';
import type {
  JobResponse,
  openAiFunctionListSchema,
  ToolExecutionView,
  ToolGenerationRequest,
  ToolList,
  ToolView,
} from '../contract';

export const DEFAULT_API_URL = 'http://localhost:8000/api/v1';

/** Plain requests should answer quickly; a hung API must not hang the CLI. */
const REQUEST_TIMEOUT_MS = 30_000;
/** A tool runs for up to the service's sandbox wall time (SANDBOX_WALL_TIME_MS, 30 s by default). */
const TOOL_EXECUTION_TIMEOUT_MS = 300_000;

interface RequestOptions {
  timeoutMs?: number;
  /** the caller gives up (e.g. an MCP client cancelled the call) */
  signal?: AbortSignal;
}

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

  /** `apiKey` is sent as `Authorization: Bearer <key>` when given (TOOLSMITH_API_KEY). */
  constructor(
    baseUrl: string,
    private readonly apiKey?: string,
  ) {
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

  /** Every registered tool (newest version per name) as an OpenAI function definition. */
  listFunctions(signal?: AbortSignal): Promise<z.infer<typeof openAiFunctionListSchema>> {
    return this.requestJson('GET', '/openai/functions', undefined, { signal });
  }

  /** One version of a tool, with its code, tests, repairs and cost. */
  getTool(toolId: string): Promise<ToolView> {
    return this.requestJson('GET', `/tools/${encodeURIComponent(toolId)}`);
  }

  /** The client's tools (registered or failed), newest first: e.g. those a job made. */
  listTools(filter: { jobId?: string; limit?: number }): Promise<ToolList> {
    const query = new URLSearchParams();
    if (filter.jobId !== undefined) query.set('jobId', filter.jobId);
    if (filter.limit !== undefined) query.set('limit', String(filter.limit));
    return this.requestJson('GET', `/tools?${query}`);
  }

  /** The newest registered version of a name. */
  getToolByName(name: string, signal?: AbortSignal): Promise<ToolView> {
    return this.requestJson('GET', `/tools/by-name/${encodeURIComponent(name)}`, undefined, { signal });
  }

  executeTool(toolId: string, input: Record<string, unknown>, signal?: AbortSignal): Promise<ToolExecutionView> {
    return this.requestJson(
      'POST',
      `/tools/${encodeURIComponent(toolId)}/execute`,
      { input },
      { timeoutMs: TOOL_EXECUTION_TIMEOUT_MS, signal },
    );
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

  private async requestJson<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const response = await this.fetch(
      path,
      {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: options.signal ? AbortSignal.any([timeout, options.signal]) : timeout,
      },
      timeoutMs,
    );
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

  private async fetch(path: string, init: RequestInit, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.apiKey) headers.set('authorization', `Bearer ${this.apiKey}`);
    try {
      return await fetch(`${this.baseUrl}${path}`, { ...init, headers });
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'AbortError') throw error; // the caller gave up on purpose (events reconnect): not an API failure
      if (name === 'TimeoutError') {
        throw new CliError(
          `The Toolsmith API at ${this.baseUrl} did not answer within ${timeoutMs / 1000} s.`,
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
