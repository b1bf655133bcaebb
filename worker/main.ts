import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfigOrExit, type Config } from '../config';
import { findFreePort } from '../infra/child-process';
import { createLogger, type Logger } from '../observability/logger';
import { createToolsmithWorkers } from './create-worker';
import { createWorkerDependencies, type WorkerDependencies } from './dependencies';
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

/**
 * Asks the configured model for one small plan, in the background once the worker polls: its
 * answer says in the log whether jobs can work (and `auto` has found the endpoint's mode before
 * the first job). A failure is a warning, never a reason to stop: the endpoint may come up later.
 */
function probeModelInBackground(dependencies: WorkerDependencies, logger: Logger, signal: AbortSignal): void {
  dependencies.probeModel(signal).then(
    (result) => {
      const summary = `${result.model} at ${result.endpoint}`;
      if (result.usable) {
        logger.info(
          { modelProbe: result },
          `model probe: ${summary} answers (structured output ${result.structuredOutput}, ${result.latencyMs} ms)`,
        );
      } else if (!signal.aborted) {
        logger.warn(
          { modelProbe: result },
          `model probe: ${summary} is not usable: ${result.problem} (jobs fail until it is; see npx toolsmith doctor)`,
        );
      }
    },
    (error: unknown) => logger.warn(`model probe failed: ${(error as Error)?.message ?? String(error)}`),
  );
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logging);
  const sdkMetricsUrl = await temporalMetricsUrl(config);
  Runtime.install({
    logger: temporalLoggerOf(logger),
    telemetryOptions: { metrics: { prometheus: { bindAddress: new URL(sdkMetricsUrl).host } } },
  });
  const dependencies = await createWorkerDependencies(config, { logger });
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
  const modelConfigured = Boolean(config.llm.apiKey || config.llm.baseUrl);
  if (!modelConfigured) {
    logger.warn(
      'OPENAI_API_KEY (or OPENAI_BASE_URL) is not set; every job will fail with AI_SERVICE_ERROR until it is.',
    );
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
  const probing = new AbortController();
  try {
    const running = workers.run(); // returns after SIGINT/SIGTERM, once in-flight tasks are done
    if (modelConfigured) probeModelInBackground(dependencies, logger, probing.signal);
    await running;
  } finally {
    probing.abort(); // a probe still waiting for the endpoint must not keep the process alive
    await connection.close();
    await dependencies.close();
  }
}

main().catch((error) => {
  createLogger({ level: 'error', pretty: false }).fatal({ err: error }, 'the worker stopped');
  process.exit(1);
});
