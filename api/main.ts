import { Client, Connection } from '@temporalio/client';
import { loadConfigOrExit } from '../config';
import { createLogger } from '../observability/logger';
import { startTracing } from '../observability/tracing';
import { startWebServer } from './web-server';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logging);
  // Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; on, a job's trace starts at the API's workflow start.
  const tracing = startTracing(config.tracing, 'toolsmith-api');
  // Lazy: the API starts (and its health says so) even while Temporal is still coming up.
  const connection = Connection.lazy({ address: config.temporal.address });
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    plugins: tracing ? [tracing.plugin] : [],
  });
  const server = await startWebServer(config, { client, connection }, { logger });
  logger.info(`listening on ${server.url}/api/v1 (docs: ${server.url}/docs, metrics: ${server.url}/metrics)`);

  const shutdown = async () => {
    await server.close();
    await connection.close();
    await tracing?.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error) => {
  createLogger({ level: 'error', pretty: false }).fatal({ err: error }, 'the API could not start');
  process.exit(1);
});
