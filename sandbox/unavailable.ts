import { SANDBOX_UNAVAILABLE, ServiceError } from '../contract';

/** The sandbox cannot run (safely): validation fails closed with this. */
export function unavailable(message: string, cause?: unknown): ServiceError {
  return new ServiceError(SANDBOX_UNAVAILABLE, message, { cause });
}
