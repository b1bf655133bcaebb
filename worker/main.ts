import { NativeConnection } from '@temporalio/worker';
import { loadConfigOrExit } from '../config';
import { createToolsmithWorker } from './create-worker';
import { createWorkerDependencies } from './dependencies';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const dependencies = await createWorkerDependencies(config);
  try {
    await dependencies.sandboxes.verify(); // starts the first warm sandbox, too
  } catch (error) {
    // Keep serving: validation fails closed with this same message until the sandbox works.
    console.error(`[worker] WARNING: ${(error as Error).message}`);
  }
  try {
    const index = await dependencies.docsIndex.ensureBuilt();
    console.log(
      `[worker] documentation index: ${index.entries} entries (${index.extracted ? `built in ${index.buildMs} ms` : 'cached'})`,
    );
  } catch (error) {
    // Searches retry the build; until it works, tools that need documentation fail with a clear error.
    console.error(`[worker] WARNING: could not build the documentation index: ${(error as Error).message}`);
  }
  if (!config.llm.apiKey) {
    console.error(
      '[worker] WARNING: OPENAI_API_KEY is not set; every job will fail with AI_SERVICE_ERROR until it is.',
    );
  }
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await createToolsmithWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    dependencies: dependencies.activities,
  });
  console.log(`[worker] polling task queue "${config.temporal.taskQueue}" on ${config.temporal.address}`);
  try {
    await worker.run(); // returns after SIGINT/SIGTERM, once in-flight tasks are done
  } finally {
    await connection.close();
    await dependencies.close();
  }
}

main().catch((error) => {
  console.error(`[worker] ${(error as Error).message}`);
  process.exit(1);
});
