/**
 * The contract's error codes (Part A's, then Part B's), and the one error type the service raises on purpose.
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
    readonly code: ErrorCode | typeof SANDBOX_UNAVAILABLE | typeof VALIDATION_FAILED,
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
