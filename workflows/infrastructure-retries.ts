import { TimeoutType } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, patched, TimeoutFailure } from '@temporalio/workflow';
import { DATABASE_UNAVAILABLE } from '../contract';
import { INFRASTRUCTURE_RETRIES } from './activity-options';
import { INFRASTRUCTURE_RETRIES_PATCH } from './patches';

/** No worker answered for the attempt (it died, stalled, or never picked the task up), or its database went away. */
function lostToInfrastructure(error: unknown): boolean {
  if (!(error instanceof ActivityFailure)) return false;
  const { cause } = error;
  if (cause instanceof ApplicationFailure) return cause.type === DATABASE_UNAVAILABLE;
  if (!(cause instanceof TimeoutFailure)) return false;
  return cause.timeoutType === TimeoutType.HEARTBEAT || cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
}

/**
 * Runs an activity call again when its retry policy ended on an infrastructure loss, so killed or
 * overloaded workers do not use up the attempts meant for the activity's own failures (a model
 * outage, a sandbox that cannot start). Its own failures, and a start-to-close timeout (the work
 * itself hung), still end it.
 */
export async function survivingInfrastructure<T>(call: () => Promise<T>): Promise<T> {
  for (let round = 0; ; round += 1) {
    try {
      return await call();
    } catch (error) {
      if (round >= INFRASTRUCTURE_RETRIES || !lostToInfrastructure(error) || !patched(INFRASTRUCTURE_RETRIES_PATCH))
        throw error;
    }
  }
}
