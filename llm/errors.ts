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

/**
 * Maps what the OpenAI client threw to the contract's codes, deciding whether Temporal should
 * retry: a bad key or a malformed request never gets better by trying again; a rate limit,
 * a timeout or a server error may.
 */
export function classifyModelError(error: unknown, model: string): ServiceError {
  if (error instanceof ServiceError) return error;
  if (error instanceof OpenAI.APIConnectionError) {
    return new ServiceError('AI_SERVICE_ERROR', `Could not reach the model endpoint: ${error.message}`, {
      retryable: true,
      cause: error,
    });
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
    if (status === 404) {
      return new ServiceError(
        'AI_SERVICE_ERROR',
        `The model endpoint does not know model "${model}" or the path (HTTP 404): check OPENAI_MODEL and OPENAI_BASE_URL. ${message}`,
        { retryable: false, cause: error },
      );
    }
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
      return new ServiceError(
        'AI_SERVICE_ERROR',
        `The model endpoint refused the request (HTTP ${status}): ${message}`,
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
