import OpenAI from 'openai';
import { ServiceError } from '../contract';

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** How much of an unusable reply an error carries (`details.lastReply`), for the job's answer. */
export const LAST_REPLY_CHARS = 2048;

export function lastReplyDetails(reply: string): { lastReply: string } {
  return { lastReply: reply.slice(0, LAST_REPLY_CHARS) };
}

/** What the classification says besides the error: which endpoint, model and limits the call had. */
export interface ModelCallSettings {
  model: string;
  endpoint: string;
  requestTimeoutMs: number;
}

/** A 400 (or 422) that names something of the request, in its message or its `param`. */
function refusalNaming(error: unknown, pattern: RegExp): boolean {
  if (!(error instanceof OpenAI.APIError) || (error.status !== 400 && error.status !== 422)) return false;
  return pattern.test(error.message) || (typeof error.param === 'string' && pattern.test(error.param));
}

/**
 * Groq's 400 `json_validate_failed`: the model's output did not validate as the requested JSON.
 * Not the request's fault but the reply's, so it is re-asked like any unusable reply; Groq often
 * returns what the model generated as `failed_generation`.
 */
export function jsonValidateFailure(error: unknown): { message: string; failedGeneration: string | null } | null {
  if (!(error instanceof OpenAI.APIError) || error.status !== 400) return null;
  if (error.code !== 'json_validate_failed' && !/json_validate_failed/.test(error.message)) return null;
  const generated = (error.error as { failed_generation?: unknown } | undefined)?.failed_generation;
  return { message: error.message, failedGeneration: typeof generated === 'string' ? generated : null };
}

/**
 * The endpoint refuses the `response_format` sent (DeepSeek: "This response_format type is
 * unavailable now"; others name json_schema, json_object or structured outputs).
 */
export function refusesResponseFormat(error: unknown): boolean {
  return (
    jsonValidateFailure(error) === null &&
    refusalNaming(error, /response[_ ]format|json[_ ]schema|json[_ ]object|structured[ _-]?outputs?/i)
  );
}

const UNSUPPORTED =
  /unsupported|unrecogni[sz]ed|not supported|unknown|extra (fields|inputs)|not permitted|not allowed/i;

/**
 * The endpoint does not take a request field at all (Azure: "Unrecognized request argument
 * supplied: max_completion_tokens"; OpenAI: "Unsupported parameter: …"), as opposed to refusing
 * its value ("must be at most 8192").
 */
export function refusesParameter(error: unknown, parameter: string): boolean {
  return refusalNaming(error, new RegExp(parameter)) && UNSUPPORTED.test((error as Error).message);
}

/** A 400 about the output-token limit, its value or its name. */
export function refusesTokenLimit(error: unknown): boolean {
  return refusalNaming(error, /max_(completion_)?tokens/);
}

const MODEL_NOT_FOUND = /not[ _]found|does not exist|doesn't exist|unknown|no such|not available|invalid model/i;

/** A 404's three meanings: no provider serves the model (OpenRouter), no such model, or no such path. */
function notFound(error: InstanceType<typeof OpenAI.APIError>, call: ModelCallSettings): string {
  const said = error.message;
  if (/no endpoints/i.test(said)) {
    return `No provider behind ${call.endpoint} serves model "${call.model}" (HTTP 404, no endpoints): pick another model (OPENAI_MODEL, or the job's options.model) or loosen the provider routing sent in LLM_EXTRA_BODY. ${said}`;
  }
  if (error.code === 'model_not_found' || (/model/i.test(said) && MODEL_NOT_FOUND.test(said))) {
    return `The model endpoint does not know model "${call.model}" (HTTP 404, model not found): check OPENAI_MODEL (or OPENAI_PLAN_MODEL, OPENAI_IMPLEMENT_MODEL, the job's options.model). ${said}`;
  }
  return `The model endpoint has no chat-completions route at ${call.endpoint}/chat/completions (HTTP 404, unknown path): check OPENAI_BASE_URL (an OpenAI-compatible base URL usually ends in /v1). ${said}`;
}

const seconds = (ms: number) => (ms % 1000 === 0 ? String(ms / 1000) : (ms / 1000).toFixed(1));

/** Why a connection failed, from the error's cause (ECONNREFUSED, ENOTFOUND, …) when there is one. */
function connectionProblem(error: InstanceType<typeof OpenAI.APIConnectionError>): string {
  let cause: unknown = error.cause;
  for (let depth = 0; cause instanceof Error && depth < 3; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return `${error.message} (${code})`;
    cause = cause.cause;
  }
  return error.message;
}

/**
 * Maps what the OpenAI client threw to the contract's codes, deciding whether Temporal should
 * retry: a bad key or a malformed request never gets better by trying again; a rate limit,
 * a timeout or a server error may.
 */
export function classifyModelError(error: unknown, call: ModelCallSettings): ServiceError {
  if (error instanceof ServiceError) return error;
  // a timeout is a connection error too: it must be told apart first
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new ServiceError(
      'AI_SERVICE_ERROR',
      `The model did not answer within ${seconds(call.requestTimeoutMs)} s (LLM_REQUEST_TIMEOUT_MS) at ${call.endpoint}.`,
      { retryable: true, cause: error },
    );
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return new ServiceError(
      'AI_SERVICE_ERROR',
      `Could not reach the model endpoint ${call.endpoint}: ${connectionProblem(error)}`,
      { retryable: true, cause: error },
    );
  }
  if (error instanceof OpenAI.APIUserAbortError) {
    return new ServiceError('AI_SERVICE_ERROR', 'The model call was cancelled.', { retryable: true, cause: error });
  }
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? 0;
    const message = error.message;
    if (status === 401 || status === 403) {
      return new ServiceError(
        'AI_SERVICE_ERROR',
        `The model endpoint rejected the credentials (HTTP ${status}): check OPENAI_API_KEY (and OPENAI_BASE_URL). ${message}`,
        { retryable: false, cause: error },
      );
    }
    if (status === 404)
      return new ServiceError('AI_SERVICE_ERROR', notFound(error, call), { retryable: false, cause: error });
    if (status === 429) {
      return new ServiceError(
        'AI_SERVICE_RATE_LIMITED',
        `The model endpoint is rate limiting us (HTTP 429). ${message}`,
        {
          retryable: true,
          retryAfterMs: parseRetryAfterMs(error.headers?.get('retry-after')),
          cause: error,
        },
      );
    }
    if (status >= 400 && status < 500 && status !== 408 && status !== 409) {
      const hint = refusesResponseFormat(error)
        ? ' (LLM_STRUCTURED_OUTPUT=auto finds a structured-output mode the endpoint accepts)'
        : refusesTokenLimit(error)
          ? ' (LLM_MAX_OUTPUT_TOKENS sets the output-token limit)'
          : '';
      return new ServiceError(
        'AI_SERVICE_ERROR',
        `The model endpoint refused the request (HTTP ${status}): ${message}${hint}`,
        {
          retryable: false,
          cause: error,
        },
      );
    }
    return new ServiceError('AI_SERVICE_ERROR', `The model endpoint failed (HTTP ${status}): ${message}`, {
      retryable: true,
      // an overloaded or restarting server may say when to come back (503 + Retry-After)
      retryAfterMs: parseRetryAfterMs(error.headers?.get('retry-after')),
      cause: error,
    });
  }
  return new ServiceError(
    'AI_SERVICE_ERROR',
    `Calling the model failed: ${(error as Error)?.message ?? String(error)}`,
    {
      retryable: true,
      cause: error,
    },
  );
}
