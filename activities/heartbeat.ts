import { Context } from '@temporalio/activity';

/** Well inside the presets' heartbeat timeout, so one late beat does not fail the attempt. */
export const HEARTBEAT_INTERVAL_MS = 1_000;

/**
 * Heartbeats while `work` runs: a worker killed mid-activity is noticed within the heartbeat
 * timeout (not the whole start-to-close timeout), and a cancellation reaches `work` as an abort.
 */
export async function whileHeartbeating<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
  try {
    return await work(context.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}
