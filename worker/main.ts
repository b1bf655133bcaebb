import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfigOrExit, type Config } from '../config';
import { findFreePort } from '../infra/child-process';
import { createLogger } from '../observability/logger';
import { createToolsmithWorkers } from './create-worker';
import { createWorkerDependencies } from './dependencies';
import { temporalLoggerOf } from './runtime-logger';

/**
 * A process has one Temporal Runtime, so its Prometheus exporter is set up here, in the worker
 * process only (the tests install their own Runtime). It listens on loopback: the worker's own
 * /metrics fetches it and appends its series.
 */
async function temporalMetricsUrl(config: Config): Promise<string> {
  const port = config.metrics.temporalPort || (await findFreePort());
  return `http://127.0.0.1:${port}/metrics`;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logging);
  const sdkMetricsUrl = await temporalMetricsUrl(config);
  Runtime.install({
    logger: temporalLoggerOf(logger),
    telemetryOptions: { metrics: { prometheus: { bindAddress: new URL(sdkMetricsUrl).host } } },
  });
  const dependencies = await createWorkerDependencies(config);
  try {
    await dependencies.sandboxes.verify(); // starts the first warm sandbox, too
  } catch (error) {
    // Keep serving: validation fails closed with this same message until the sandbox works.
    logger.warn((error as Error).message);
  }
  try {
    const index = await dependencies.docsIndex.ensureBuilt();
    logger.info(
      `documentation index: ${index.entries} entries (${index.extracted ? `built in ${index.buildMs} ms` : 'cached'})`,
    );
  } catch (error) {
    // Searches retry the build; until it works, tools that need documentation fail with a clear error.
    logger.warn(`could not build the documentation index: ${(error as Error).message}`);
  }
  if (!config.llm.apiKey) {
    logger.warn('OPENAI_API_KEY is not set; every job will fail with AI_SERVICE_ERROR until it is.');
  }
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const workers = await createToolsmithWorkers({
    connection,
    config,
    dependencies,
    temporalMetricsUrl: sdkMetricsUrl,
  });
  logger.info(
    { taskQueues: workers.taskQueues, metricsUrl: workers.metricsUrl },
    `polling task queues ${Object.values(workers.taskQueues).join(', ')} on ${config.temporal.address}; metrics on ${workers.metricsUrl}`,
  );
  try {
    await workers.run(); // returns after SIGINT/SIGTERM, once in-flight tasks are done
  } finally {
    await connection.close();
    await dependencies.close();
  }
}

main().catch((error) => {
  createLogger({ level: 'error', pretty: false }).fatal({ err: error }, 'the worker stopped');
  process.exit(1);
});
