import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { invalidRequest, SANDBOX_UNAVAILABLE, ServiceError, type ErrorCode, type ErrorResponse } from '../contract';
import { isTransientDatabaseError } from '../store/errors';

const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_REQUEST: 400,
  INVALID_TOOL_REQUIREMENT: 400,
  INSUFFICIENT_API_SPECS: 422,
  GENERATION_TIMEOUT: 504,
  AI_SERVICE_ERROR: 502,
  AI_SERVICE_RATE_LIMITED: 503,
  JOB_NOT_FOUND: 404,
  JOB_CANCELLED: 409,
  JOB_ALREADY_COMPLETED: 409,
  RATE_LIMIT_EXCEEDED: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
  TOOL_NOT_FOUND: 404,
  TOOL_NOT_EXECUTABLE: 409,
  SESSION_NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  PAYLOAD_TOO_LARGE: 413,
};

/** An error with an HTTP status of its own (body-parser's errors carry `status` and `type`). */
interface HttpParserError {
  status?: number;
  type?: string;
  limit?: number;
}

class HttpError extends ServiceError {
  /** only the contract's codes reach a client */
  declare readonly code: ErrorCode;

  constructor(
    code: ErrorCode,
    message: string,
    readonly httpStatus: number = HTTP_STATUS[code],
    details?: unknown,
    override readonly jobId?: string,
    retryAfterMs?: number,
  ) {
    super(code, message, { details, retryAfterMs });
  }
}

/** a busy database frees up within a second or two: when the client may try again */
export const DATABASE_RETRY_AFTER_MS = 1_000;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export const assignRequestId: RequestHandler = (req, res, next) => {
  const incoming = req.get('x-request-id');
  const requestId = incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
  res.locals.requestId = requestId;
  res.setHeader('X-Request-Id', requestId);
  next();
};

export const routeNotFound: RequestHandler = (req, _res, next) => {
  next(new HttpError('INVALID_REQUEST', `No route for ${req.method} ${req.path}; see /docs for the API.`, 404));
};

function fromParserError(error: HttpParserError): HttpError | undefined {
  switch (error.type) {
    case 'entity.parse.failed':
      return new HttpError('INVALID_REQUEST', 'The request body is not valid JSON.', 400, { field: '(body)' });
    case 'entity.too.large':
      return new HttpError(
        'PAYLOAD_TOO_LARGE',
        `The request body is larger than the ${error.limit} bytes allowed.`,
        413,
        {
          field: '(body)',
          limitBytes: error.limit,
        },
      );
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new HttpError('INVALID_REQUEST', 'The request body must be UTF-8 JSON.', 415, { field: '(body)' });
    default:
      return typeof error.status === 'number' && error.status >= 400 && error.status < 500
        ? new HttpError('INVALID_REQUEST', 'The request could not be read.', error.status)
        : undefined;
  }
}

function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof ServiceError && error.code in HTTP_STATUS) {
    const code = error.code as ErrorCode;
    const status = error.conflict ? 409 : HTTP_STATUS[code];
    return new HttpError(code, error.message, status, error.details, error.jobId, error.retryAfterMs);
  }
  if (error instanceof ServiceError && error.code === SANDBOX_UNAVAILABLE) {
    // Fails closed: no tool runs outside the sandbox, and the caller is told why.
    return new HttpError('SERVICE_UNAVAILABLE', `Tools cannot be run right now: ${error.message}`, 503);
  }
  if (isTransientDatabaseError(error)) {
    return new HttpError(
      'SERVICE_UNAVAILABLE',
      'The database is busy or unreachable right now; try again shortly.',
      503,
      undefined,
      undefined,
      DATABASE_RETRY_AFTER_MS,
    );
  }
  if (error instanceof z.ZodError) return toHttpError(invalidRequest(error));
  const parserError =
    typeof error === 'object' && error !== null ? fromParserError(error as HttpParserError) : undefined;
  return (
    parserError ??
    new HttpError('INTERNAL_ERROR', 'Something went wrong on our side; quote the request id when reporting it.')
  );
}

/** The one place an error becomes an HTTP answer, always in the contract's ErrorResponse shape. */
export const sendErrorResponse: ErrorRequestHandler = (error, req, res, next) => {
  if (res.headersSent) return next(error);
  const httpError = toHttpError(error);
  if (httpError.httpStatus >= 500) {
    // Our own 5xx (e.g. Temporal unreachable) is expected and explained; anything else needs its stack.
    const detail = error instanceof ServiceError ? { code: error.code, reason: error.message } : { err: error };
    req.log.error(detail, 'request failed');
  }
  if (httpError.retryAfterMs !== undefined) {
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(httpError.retryAfterMs / 1000))));
  }
  res.status(httpError.httpStatus).json({
    error: httpError.message,
    code: httpError.code,
    ...(httpError.details === undefined ? {} : { details: httpError.details }),
    timestamp: new Date().toISOString(),
    ...(httpError.jobId ? { jobId: httpError.jobId } : {}),
    requestId: res.locals.requestId,
  } satisfies ErrorResponse);
};
