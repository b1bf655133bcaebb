import { Context } from '@temporalio/activity';

/**
 * Holds the running activity attempt until it is cancelled (by a timeout, or by the workflow), as a
 * stuck or dead worker would; with `heartbeatEveryMs`, heartbeating all the while.
 */
export function holdUntilCancelled(heartbeatEveryMs?: number): Promise<never> {
  const context = Context.current();
  const heartbeats =
    heartbeatEveryMs === undefined ? undefined : setInterval(() => context.heartbeat(), heartbeatEveryMs);
  return new Promise((_, reject) => {
    context.cancellationSignal.addEventListener('abort', () => {
      clearInterval(heartbeats);
      reject(context.cancellationSignal.reason);
    });
  });
}
