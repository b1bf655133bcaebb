import { ApplicationFailure } from '@temporalio/common';
import { ServiceError } from '../errors';

/**
 * Turns our ServiceError into the ApplicationFailure Temporal understands: its code becomes the
 * failure type, and whether it is worth retrying decides `nonRetryable`.
 */
export function toApplicationFailure(error: unknown): unknown {
  if (!(error instanceof ServiceError)) return error;
  return ApplicationFailure.create({
    type: error.code,
    message: error.message,
    nonRetryable: !error.retryable,
    details: error.details === undefined ? undefined : [error.details],
    nextRetryDelay: error.retryAfterMs,
    cause: error.cause instanceof Error ? error.cause : undefined,
  });
}

type AnyActivity = (...args: never[]) => Promise<unknown>;

export function classifyingFailures<T extends Record<string, AnyActivity>>(activities: T): T {
  const wrapped: Record<string, AnyActivity> = {};
  for (const [name, activity] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await activity(...args);
      } catch (error) {
        throw toApplicationFailure(error);
      }
    };
    Object.defineProperty(wrapped[name], 'name', { value: name });
  }
  return wrapped as T;
}
