import { Context } from '@temporalio/activity';

/** Well inside the presets' heartbeat timeout, so one late beat does not fail the attempt. */
export const HEARTBEAT_INTERVAL_MS = 1_000;

/**
 * The whole activity heartbeats, its reads and writes too: a worker killed mid-activity is noticed
 * within the heartbeat timeout (not the whole start-to-close timeout), while a database that
 * answers slowly is not taken for a dead worker (whose attempt would run again beside it). The
 * activity sees a cancellation as `Context.current().cancellationSignal` aborting; a cancelled
 * attempt (the job was cancelled, or the server gave up on it) ends at once even if the activity
 * ignores the abort, so it never holds one of the worker's activity slots.
 */
export function heartbeatingThroughout<Args extends unknown[], Result>(
  activity: (...args: Args) => Promise<Result>,
): (...args: Args) => Promise<Result> {
  return async (...args) => {
    const context = Context.current();
    context.heartbeat();
    const timer = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
    try {
      return await Promise.race([activity(...args), context.cancelled]);
    } finally {
      clearInterval(timer);
    }
  };
}
