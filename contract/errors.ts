import type { z } from 'zod';

/**
 * The contract's error codes (Part A's, then Part B's), and the domain errors: the one error type
 * the service raises on purpose, and "these fields are invalid". Only the API's error handler
 * (api/http-errors.ts) turns them into HTTP answers; MCP and the CLI see the same errors.
 * Free of Node imports: workflow code uses the codes as ApplicationFailure types.
 */
export const errorCodes = [
  'INVALID_REQUEST',
  'INVALID_TOOL_REQUIREMENT',
  'INSUFFICIENT_API_SPECS',
  'GENERATION_TIMEOUT',
  'AI_SERVICE_ERROR',
  'AI_SERVICE_RATE_LIMITED',
  'JOB_NOT_FOUND',
  'JOB_CANCELLED',
  'JOB_ALREADY_COMPLETED',
  'RATE_LIMIT_EXCEEDED',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_ERROR',
  // Part B's additions
  'TOOL_NOT_FOUND',
  'TOOL_NOT_EXECUTABLE',
  'SESSION_NOT_FOUND',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'PAYLOAD_TOO_LARGE',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (errorCodes as readonly string[]).includes(value);
}

/** Failure types of our own that are not part of the public contract but classify activity failures. */
export const SANDBOX_UNAVAILABLE = 'SANDBOX_UNAVAILABLE';
export const VALIDATION_FAILED = 'VALIDATION_FAILED';
/**
 * The failure type of an activity attempt whose database connection broke (activities/failures.ts):
 * the infrastructure's loss, rerun by the workflow like a dead worker's attempt.
 */
export const DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE';

/**
 * Failure types of a model call that trying again cannot mend (llm/gateway.ts), non-retryable:
 * the reply was cut at the output-token limit even after a larger one; the model refused; it
 * answered only in its reasoning, twice; the tool used up its model calls (LLM_MAX_CALLS_PER_TOOL).
 */
export const MODEL_OUTPUT_TRUNCATED = 'MODEL_OUTPUT_TRUNCATED';
export const MODEL_REFUSED = 'MODEL_REFUSED';
export const MODEL_EMPTY_REPLY = 'MODEL_EMPTY_REPLY';
export const MODEL_CALL_BUDGET_EXCEEDED = 'MODEL_CALL_BUDGET_EXCEEDED';
export type ModelFailureCode =
  typeof MODEL_OUTPUT_TRUNCATED | typeof MODEL_REFUSED | typeof MODEL_EMPTY_REPLY | typeof MODEL_CALL_BUDGET_EXCEEDED;

export interface ServiceErrorOptions {
  details?: unknown;
  /** false: retrying cannot help (bad key, invalid request); Temporal will not retry it. */
  retryable?: boolean;
  /** the server asked us to wait this long (e.g. Retry-After) before trying again */
  retryAfterMs?: number;
  /** the job the error is about, named in the error answer */
  jobId?: string;
  /** the request is valid but clashes with the current state of what it names (e.g. retrying a running job) */
  conflict?: boolean;
  cause?: unknown;
}

export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  readonly details?: unknown;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly jobId?: string;
  readonly conflict: boolean;

  constructor(
    readonly code: ErrorCode | typeof SANDBOX_UNAVAILABLE | typeof VALIDATION_FAILED | ModelFailureCode,
    message: string,
    options: ServiceErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.details = options.details;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.jobId = options.jobId;
    this.conflict = options.conflict ?? false;
  }
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** An INVALID_REQUEST naming each offending field, in the sentence (the first few) and in `details` (all). */
export function invalidFields(fields: FieldProblem[]): ServiceError {
  const shown = fields.slice(0, 3).map((field) => `${field.field} ${field.message}`);
  const more = fields.length > 3 ? ` (and ${fields.length - 3} more)` : '';
  return new ServiceError('INVALID_REQUEST', `Invalid request: ${shown.join('; ')}${more}.`, {
    details: { fields: fields.slice(0, 50) },
  });
}

/** zod issues, field by field: what a client needs to fix its request. */
export function invalidRequest(error: z.ZodError, prefix: string[] = []): ServiceError {
  return invalidFields(
    error.issues.map((issue) => ({
      field: [...prefix, ...issue.path.map(String)].join('.') || '(body)',
      message: issue.message,
    })),
  );
}

/** The parsed value, or the INVALID_REQUEST naming what is wrong with it. */
export function parseRequest<T extends z.ZodType>(schema: T, value: unknown, prefix: string[] = []): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidRequest(parsed.error, prefix);
  return parsed.data;
}
