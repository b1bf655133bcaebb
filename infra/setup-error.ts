import { ConfigError } from '../config';

/**
 * A failure the user fixes by reading the message (something missing, a port taken,
 * a server that would not start). Entry points print only the message for these:
 * a stack trace would bury the fix. Any other error is a bug and keeps its stack.
 */
export class SetupError extends Error {
  override readonly name = 'SetupError';
}

/** The text to show for a failure at an entry point (provision-cli, start). */
export function describeFailure(error: unknown): string {
  if (error instanceof SetupError || error instanceof ConfigError) return error.message;
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}
