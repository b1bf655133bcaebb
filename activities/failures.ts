import { ApplicationFailure } from '@temporalio/common';
import { isTransientDatabaseError } from '../store/errors';
import { DATABASE_UNAVAILABLE, ServiceError } from '../contract';
import { wrapEach, type AnyActivity } from './wrap-each';

/**
 * Turns our ServiceError into the ApplicationFailure Temporal understands: its code becomes the
 * failure type, and whether it is worth retrying decides `nonRetryable`.
 */
export function toApplicationFailure(error: unknown): unknown {
  if (isTransientDatabaseError(error)) {
    // The database went away or stayed locked under the attempt: the infrastructure's loss.
    return ApplicationFailure.create({ type: DATABASE_UNAVAILABLE, message: error.message, cause: error });
  }
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

export function classifyingFailures<T extends Record<string, AnyActivity>>(activities: T): T {
  return wrapEach(activities, (_name, activity) => async (...args) => {
    try {
      return await activity(...args);
    } catch (error) {
      throw toApplicationFailure(error);
    }
  });
}
