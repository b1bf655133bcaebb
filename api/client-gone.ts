import type { Response } from 'express';

/** Aborted when the client goes away before its answer is complete: nobody is left to read it. */
export function clientGoneSignal(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/**
 * Runs work the client waits for (a tool in the sandbox), stopping it when the client hangs up.
 * Resolves undefined then, as there is nothing to send.
 */
export async function whileClientWaits<T>(
  res: Response,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T | undefined> {
  const signal = clientGoneSignal(res);
  try {
    return await work(signal);
  } catch (error) {
    if (signal.aborted) return undefined;
    throw error;
  }
}
