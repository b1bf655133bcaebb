import type { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import { createToolExecutor } from '../executor/executor';
import { version } from '../package.json';
import { sandboxPoolFromConfig } from '../sandbox/pool';
import { createMongo, createStores, ensureIndexes, type MongoHandle, type Stores } from '../store';
import { createApp } from './app';
import { createJobService } from './job-service';
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
}

export interface WebServer {
  url: string;
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
  const degraded = options.onDegraded ?? (() => undefined);
  const mongo = createMongo(config.mongo.url, config.mongo.dbName, options.mongoServerSelectionMs);
  ensureIndexes(mongo.db).catch((error) => degraded(`could not ensure indexes yet: ${(error as Error).message}`));
  const stores = createStores(mongo.db);
  const jobs = createJobService(
    {
      client: temporal.client,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      uiUrl: config.temporal.uiUrl,
    },
    stores,
    config.generation,
  );
  const sandboxes = sandboxPoolFromConfig(config, 'api');
  // Warm before the first call; a sandbox that cannot start makes tool calls 503, not the API fail.
  sandboxes.warm().catch((error) => degraded(`tools cannot run yet: ${(error as Error).message}`));
  const app = createApp({
    jobs,
    sessions: stores.sessions,
    tools: stores.tools,
    executor: createToolExecutor({ sandbox: sandboxes }),
    listenHost: config.http.host,
    db: mongo.db,
    temporalConnection: temporal.connection,
    version,
    bodyLimitBytes: config.http.bodyLimitBytes,
    healthCheckTimeoutMs: config.http.healthCheckTimeoutMs,
    temporalUiUrl: config.temporal.uiUrl,
    temporalNamespace: config.temporal.namespace,
  });
  const server = await startServer(app, config.http.host, config.http.port);
  return {
    url: server.url,
    mongo,
    stores,
    async close() {
      await server.close();
      await sandboxes.close();
      await mongo.close();
    },
  };
}
