import type { Connection } from '@temporalio/client';
import express, { type Express } from 'express';
import type { Db } from 'mongodb';
import { assignRequestId, routeNotFound, sendErrorResponse } from './http-errors';
import type { JobService } from './jobs/job-service';
import { consoleRouter } from './routes/console';
import { docsRouter } from './routes/docs';
import { healthRouter } from './routes/health';
import { jobListHandler } from './routes/job-list';
import { jobsRouter } from './routes/jobs';
import { requestLogging } from './logging';
import type { ApiMetrics } from './metrics';
import { mcpRouter } from './routes/mcp';
import { sessionsRouter } from './routes/sessions';
import { toolCallsRouter } from './routes/tool-calls';
import { toolsRouter } from './routes/tools';
import { authenticate } from './auth';
import { requestRateLimit } from './rate-limits';
import type { ApiKeyStore } from '../store/api-keys';
import type { SessionStore } from '../store/sessions';
import type { ToolStore } from '../store/tools';
import type { ToolExecutor } from '../executor/executor';
import type { Logger } from '../observability/logger';

export interface AppDependencies {
  jobs: JobService;
  sessions: SessionStore;
  tools: ToolStore;
  db: Db;
  temporalConnection: Connection;
  version: string;
  bodyLimitBytes: number;
  healthCheckTimeoutMs: number;
  /** the Temporal Web UI's base URL (no trailing slash) and namespace, for the deep links in job answers */
  temporalUiUrl: string;
  temporalNamespace: string;
  /** runs registered tools in the sandbox (execute, /execute-tool, MCP) */
  executor: ToolExecutor;
  /** the address the API listens on (HOST): /mcp checks the Host header when it is loopback */
  listenHost: string;
  /** the API keys that name the clients (tenants) requests act for */
  apiKeys: ApiKeyStore;
  /** per client, counted in MongoDB (`db`) across API processes */
  requestsPerMinute: number;
  logger: Logger;
  /** this app's own registry: the HTTP series, jobs by status */
  metrics: ApiMetrics;
}

/** The HTTP layer only: parse, validate, delegate, answer. Express 5 forwards async errors to the handler. */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(assignRequestId);
  app.use(requestLogging(deps.logger));
  app.use(deps.metrics.observeRequests);
  app.get('/metrics', deps.metrics.serveMetrics);
  // Before /mcp, which is mounted before the JSON parser: every route but the public ones needs a key.
  app.use(authenticate(deps.apiKeys));
  app.use(requestRateLimit(deps.db, deps.requestsPerMinute));
  // Before the JSON parser: the MCP SDK reads and answers the body itself, in JSON-RPC terms.
  app.use(
    '/mcp',
    mcpRouter({
      tools: deps.tools,
      executor: deps.executor,
      version: deps.version,
      bodyLimitBytes: deps.bodyLimitBytes,
      listenHost: deps.listenHost,
    }),
  );
  app.use(express.json({ limit: deps.bodyLimitBytes, strict: true }));

  app.use(
    '/api/v1/health',
    healthRouter({
      db: deps.db,
      temporalConnection: deps.temporalConnection,
      version: deps.version,
      timeoutMs: deps.healthCheckTimeoutMs,
    }),
  );
  app.get(
    '/api/v1/jobs',
    jobListHandler(deps.sessions, { temporalUiUrl: deps.temporalUiUrl, temporalNamespace: deps.temporalNamespace }),
  );
  app.use('/api/v1/jobs', jobsRouter(deps.jobs));
  app.use('/api/v1/sessions', sessionsRouter(deps.sessions));
  app.use('/api/v1/tools', toolsRouter(deps.tools));
  app.use('/api/v1', toolCallsRouter({ tools: deps.tools, executor: deps.executor }));
  app.use(docsRouter());
  app.use(consoleRouter());

  app.use(routeNotFound);
  app.use(sendErrorResponse);
  return app;
}
