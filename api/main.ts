import { Client, Connection } from '@temporalio/client';
import { loadConfigOrExit } from '../config';
import { createMongo, createStores, ensureIndexes } from '../store';
import { version } from '../package.json';
import { createApp } from './app';
import { createJobService } from './job-service';
import { startServer } from './server';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const mongo = createMongo(config.mongo.url, config.mongo.dbName);
  ensureIndexes(mongo.db).catch((error) =>
    console.error(`[api] could not ensure indexes yet: ${(error as Error).message}`),
  );
  // Lazy: the API starts (and its health says so) even while Temporal is still coming up.
  const connection = Connection.lazy({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const stores = createStores(mongo.db);
  const jobs = createJobService(
    {
      client,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      uiUrl: config.temporal.uiUrl,
    },
    stores,
    config.generation,
  );
  const app = createApp({
    jobs,
    sessions: stores.sessions,
    db: mongo.db,
    temporalConnection: connection,
    version,
    bodyLimitBytes: config.http.bodyLimitBytes,
    healthCheckTimeoutMs: config.http.healthCheckTimeoutMs,
    temporalUiUrl: config.temporal.uiUrl,
    temporalNamespace: config.temporal.namespace,
  });
  const server = await startServer(app, config.http.host, config.http.port);
  console.log(`[api] listening on ${server.url}/api/v1 (docs: ${server.url}/docs)`);

  const shutdown = async () => {
    await server.close();
    await connection.close();
    await mongo.close();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error) => {
  console.error(`[api] ${(error as Error).message}`);
  process.exit(1);
});
