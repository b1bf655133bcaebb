import { ServiceError } from '../contract';

/**
 * The calls waiting for a sandbox of the pool when all are busy, longest waiting first; each leaves
 * the queue when it is served, times out, is aborted, or the pool gives up on it.
 */

const RETRY_AFTER_MS = 1_000;

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
  timer?: NodeJS.Timeout;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export function createWaitingQueue<T>() {
  const waiters: Waiter<T>[] = [];

  function leave(waiter: Waiter<T>): void {
    clearTimeout(waiter.timer);
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    const index = waiters.indexOf(waiter);
    if (index >= 0) waiters.splice(index, 1);
  }

  function rejectWaiter(waiter: Waiter<T>, error: unknown): void {
    leave(waiter);
    waiter.reject(error);
  }

  return {
    length: () => waiters.length,
    /**
     * Waits its turn: rejected with `timeout.error()` after `timeout.ms` (no timeout: however long
     * it takes), with the abort reason when `signal` aborts.
     */
    wait(signal: AbortSignal | undefined, timeout?: { ms: number; error: () => unknown }): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const waiter: Waiter<T> = { resolve, reject, signal };
        if (timeout) waiter.timer = setTimeout(() => rejectWaiter(waiter, timeout.error()), timeout.ms);
        if (signal) {
          waiter.onAbort = () => rejectWaiter(waiter, signal.reason);
          signal.addEventListener('abort', waiter.onAbort, { once: true });
        }
        waiters.push(waiter);
      });
    },
    /** The longest waiting call, out of the queue, to be resolved with its sandbox. */
    take(): Pick<Waiter<T>, 'resolve'> | undefined {
      const waiter = waiters.shift();
      if (waiter) leave(waiter);
      return waiter;
    },
    /** Every waiting call fails with `error`. */
    rejectAll(error: unknown): void {
      for (const waiter of waiters.splice(0)) rejectWaiter(waiter, error);
    },
  };
}

/** All `size` sandboxes stayed busy for `queueTimeoutMs`: retryable, with when to retry. */
export function atCapacity(size: number, queueTimeoutMs: number): ServiceError {
  return new ServiceError(
    'SERVICE_UNAVAILABLE',
    `The tool executor is at capacity: ${size} of ${size} sandboxes are busy and none came free within ` +
      `${queueTimeoutMs} ms; retry shortly.`,
    { retryAfterMs: RETRY_AFTER_MS, retryable: true },
  );
}
