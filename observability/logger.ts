import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from '../config';

export type { Logger } from 'pino';

/**
 * Secrets never reach a log line, whatever logs them: the API key headers of a request, the
 * model key of a config object (at any depth pino can address), a key field of any logged object.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'key',
  '*.key',
  'OPENAI_API_KEY',
  '*.OPENAI_API_KEY',
  'TOOLSMITH_API_KEY',
  '*.TOOLSMITH_API_KEY',
];

/**
 * The process's logger: JSON lines (readable ones with `pretty`), secrets redacted. A test hands
 * in its own `destination` to read the lines back; that is always JSON.
 */
export function createLogger(settings: Config['logging'], destination?: DestinationStream): Logger {
  const options = { level: settings.level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  if (destination) return pino(options, destination);
  if (settings.pretty) return pino(options, pretty({ colorize: true, sync: true }));
  return pino(options);
}
