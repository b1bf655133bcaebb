import { Client, Connection } from '@temporalio/client';
import { loadConfigOrExit } from '../config';
import { startWebServer } from './web-server';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  // Lazy: the API starts (and its health says so) even while Temporal is still coming up.
  const connection = Connection.lazy({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const server = await startWebServer(
    config,
    { client, connection },
    { onDegraded: (problem) => console.error(`[api] ${problem}`) },
  );
  console.log(`[api] listening on ${server.url}/api/v1 (docs: ${server.url}/docs)`);

  const shutdown = async () => {
    await server.close();
    await connection.close();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error) => {
  console.error(`[api] ${(error as Error).message}`);
  process.exit(1);
});
