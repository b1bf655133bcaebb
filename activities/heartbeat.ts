import { Context } from '@temporalio/activity';

/** Well inside the presets' heartbeat timeout, so one late beat does not fail the attempt. */
export const HEARTBEAT_INTERVAL_MS = 1_000;

/**
 * Heartbeats while `work` runs: a worker killed mid-activity is noticed within the heartbeat
 * timeout (not the whole start-to-close timeout), and a cancellation reaches `work` as an abort.
 * A cancelled attempt (the job was cancelled, or the server gave up on it) ends at once even if
 * `work` ignores the abort, so it never holds one of the worker's activity slots.
 */
export async function whileHeartbeating<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
  try {
    return await Promise.race([work(context.cancellationSignal), context.cancelled]);
  } finally {
    clearInterval(timer);
  }
}

/**
 * The whole activity heartbeats, its reads and writes too: a database that answers slowly is not
 * a dead worker, and the attempt must not be given up (and run a second time beside itself) for it.
 */
export function heartbeatingThroughout<Args extends unknown[], Result>(
  activity: (...args: Args) => Promise<Result>,
): (...args: Args) => Promise<Result> {
  return (...args) => whileHeartbeating(() => activity(...args));
}
