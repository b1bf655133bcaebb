import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../observability/logger';

/** Prometheus scrapes every few seconds: a line per scrape would drown the requests that matter. */
const UNLOGGED_PATHS = new Set(['/metrics']);
/** `POST /jobs` answers `Location: …/jobs/<jobId>`: the one job route whose id is not in its path. */
const JOB_LOCATION = /\/jobs\/([^/?]+)$/;

function jobIdOf(req: Request, res: Response): string | undefined {
  const fromPath = req.params?.jobId;
  if (typeof fromPath === 'string') return fromPath;
  const location = res.getHeader('location');
  return typeof location === 'string' ? JOB_LOCATION.exec(location)?.[1] : undefined;
}

/**
 * A JSON line per request, under the request id `assignRequestId` gave it (so the line, the
 * X-Request-Id header and an ErrorResponse's `requestId` agree), with the job id on job routes.
 * Must run after `assignRequestId`.
 */
export function requestLogging(logger: Logger): RequestHandler {
  return pinoHttp<IncomingMessage, ServerResponse>({
    logger,
    genReqId: (_req, res) => (res as unknown as Response).locals.requestId as string,
    // `reqId` at the top of every line of the request, its own (`req.log`) included, for searching by it
    quietReqLogger: true,
    customProps: (req, res) => {
      const jobId = jobIdOf(req as Request, res as unknown as Response);
      return jobId ? { jobId } : {};
    },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    autoLogging: { ignore: (req) => UNLOGGED_PATHS.has((req as Request).path) },
  }) as unknown as RequestHandler;
}
