import type { Client, Connection } from '@temporalio/client';
import type { Express } from 'express';
import type { Config } from '../config';
import { createToolExecutor } from '../executor/executor';
import { version } from '../package.json';
import { sandboxPoolFromConfig } from '../sandbox/pool-config';
import { createMongo, createStores, ensureIndexes, type MongoHandle, type Stores } from '../store';
import { createApp } from './app';
import { createJobService } from './jobs/job-service';
import { createTemporalJobs } from './jobs/temporal-jobs';
import { runningJobLimit } from './rate-limits';
import { createApiMetrics } from './metrics';
import { createLogger, type Logger } from '../observability/logger';
import { startServer } from './server';

export interface TemporalHandles {
  client: Client;
  connection: Connection;
}

export interface WebServerOptions {
  /** how long a MongoDB operation waits for a server before failing (the driver's server selection) */
  mongoServerSelectionMs?: number;
  /** called with a start-up step that failed but need not stop the API (indexes, warming the sandboxes) */
  onDegraded?: (problem: string) => void;
  /** default: one from LOG_LEVEL and LOG_PRETTY (tests hand in one that writes where they can read it) */
  logger?: Logger;
}

export interface WebServer {
  url: string;
  /** the app itself, so a test can list every route it serves */
  app: Express;
  mongo: MongoHandle;
  stores: Stores;
  /** stops listening, then the sandboxes, then MongoDB; the Temporal connection is the caller's */
  close(): Promise<void>;
}

/**
 * The one composition root of the API, for `npm run api` and the tests alike: MongoDB, the job
 * service on the given Temporal client, the warm sandbox pool behind the executor, the Express
 * app, listening on the configured host and port. Nothing here waits for MongoDB or Temporal, so
 * the API answers (and its health says what is down) while they are still coming up.
 */
export async function startWebServer(
  config: Config,
  temporal: TemporalHandles,
  options: WebServerOptions = {},
): Promise<WebServer> {
  const logger = options.logger ?? createLogger(config.logging);
  const degraded = options.onDegraded ?? ((problem: string) => logger.warn(problem));
  const mongo = createMongo(config.mongo.url, config.mongo.dbName, options.mongoServerSelectionMs);
  ensureIndexes(mongo.db).catch((error) => degraded(`could not ensure indexes yet: ${(error as Error).message}`));
  const stores = createStores(mongo.db);
  const temporalJobs = createTemporalJobs({ client: temporal.client, taskQueue: config.temporal.taskQueue });
  const jobs = createJobService({
    temporal: temporalJobs,
    stores,
    links: { uiUrl: config.temporal.uiUrl, namespace: config.temporal.namespace },
    generation: config.generation,
    llm: config.llm,
    admission: runningJobLimit(stores.runningJobs, config.limits.maxRunningJobs, temporalJobs.hasEnded),
  });
  const sandboxes = sandboxPoolFromConfig(config, 'api');
  // Warm before the first call; a sandbox that cannot start makes tool calls 503, not the API fail.
  sandboxes.warm().catch((error) => degraded(`tools cannot run yet: ${(error as Error).message}`));
  const app = createApp({
    jobs,
    sessions: stores.sessions,
    tools: stores.tools,
    executor: createToolExecutor({ sandbox: sandboxes }),
    listenHost: config.http.host,
    apiKeys: stores.apiKeys,
    requestsPerMinute: config.limits.requestsPerMinute,
    db: mongo.db,
    temporalConnection: temporal.connection,
    version,
    bodyLimitBytes: config.http.bodyLimitBytes,
    healthCheckTimeoutMs: config.http.healthCheckTimeoutMs,
    temporalUiUrl: config.temporal.uiUrl,
    temporalNamespace: config.temporal.namespace,
    logger,
    metrics: createApiMetrics(mongo.db, degraded),
  });
  const server = await startServer(app, config.http.host, config.http.port);
  return {
    url: server.url,
    app,
    mongo,
    stores,
    async close() {
      await server.close(config.http.shutdownGraceMs);
      await sandboxes.close();
      await mongo.close();
    },
  };
}
